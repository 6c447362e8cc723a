// Package testenv is for tests only: the helpers that the tests of several
// packages (cmd/redir, systemd, packaging, ftp) share, so that each is
// written once. It starts real programs — journald in a private mount
// namespace, inetd or xinetd behind tcpd, any process a test runs — and
// ends them at the test's cleanup; it fakes none of them.
//
// No production package may import it; the helpers take a testing.TB
// and fail the test rather than return errors.
package testenv
