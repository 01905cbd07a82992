"""One router per resource; each validates, calls kb/, and returns the contract's models."""
