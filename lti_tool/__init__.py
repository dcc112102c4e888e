"""emm-lti: LTI 1.3 tool for the EMM2.0 curriculum."""
