"""Serving sandbox ports to the browser under their own host names."""
