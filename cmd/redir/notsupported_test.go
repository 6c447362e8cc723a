package main

import (
	"bytes"
	"errors"
	"testing"
)

// checkNotSupported checks that options whose behaviour is still to come,
// with good values, are refused by name rather than ignored.
func checkNotSupported(t *testing.T, tests []badCase) {
	t.Helper()
	for _, tt := range tests {
		_, _, err := parseArgs(tt.args, &bytes.Buffer{})
		if !errors.Is(err, errNotSupported) || err.Error() != tt.want+" is not supported yet" {
			t.Errorf("parseArgs(%q) error %v, want %q", tt.args, err, tt.want+" is not supported yet")
		}
	}
}
