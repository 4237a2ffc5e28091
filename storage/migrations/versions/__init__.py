"""Migration scripts, oldest first; a package so that wheels ship them."""
