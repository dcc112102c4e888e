"""LTI 1.3 endpoints: OIDC login, launch, JWKS, configuration; validation around pylti1p3."""
