//go:build tools

// Package tools pins the etcd server command k8sstress builds.
package tools

import _ "go.etcd.io/etcd/server/v3"
