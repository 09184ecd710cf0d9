"""Frozen pretrained encoders (EfficientNet-Lite0 for images, MiniLM for text) and their feature cache."""
