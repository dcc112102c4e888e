"""The tool's own RSA key pairs, published by kid in the JWKS and rotated without downtime."""
