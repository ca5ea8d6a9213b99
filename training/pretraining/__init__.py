"""Pretraining: the masked-LM / next-sentence record format, its creation from text, training."""
