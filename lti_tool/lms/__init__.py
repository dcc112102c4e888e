"""The LMS seam: the only code that opens a connection to an LMS.

Key sets (`keysets`), access tokens (`tokens`, `client.request_token`), AGS and NRPS (`client`), and
the HTTP half of dynamic registration all go through `transport.fetch`, which enforces for every
request: the URL's host is one of the platform's (`hosts.HostPolicy`), https except on loopback, no
redirects, a total deadline, a size cap, and no private or link-local address unless the platform
itself lives on one. docs/architecture.md lists the rules and why.
"""
