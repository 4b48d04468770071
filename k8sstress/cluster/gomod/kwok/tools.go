//go:build tools

// Package tools pins the kwok and kwokctl commands k8sstress builds.
package tools

import (
	_ "sigs.k8s.io/kwok/cmd/kwok"
	_ "sigs.k8s.io/kwok/cmd/kwokctl"
)
