"""Weekly digests for product owners and support leads (issue 11, in progress)."""
