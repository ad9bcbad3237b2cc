// Package workosapi serves WorkOS's HTTP API for roles, permissions,
// organizations and organization memberships over an [rbac.Service].
package workosapi
