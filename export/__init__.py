"""Ship-time code: SavedModel export, TF Serving layout, gRPC client (see ../shared/DESIGN.md)."""
