"""Ship-time code: SavedModel export, TF Serving layout, gRPC client (see docs/architecture.md)."""
