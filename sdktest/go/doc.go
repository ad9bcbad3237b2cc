// Package sdktest drives rbac serve with WorkOS's Go SDK,
// github.com/workos/workos-go/v7 at v7.1.2, unchanged: a module of its own,
// so that the library's module does not depend on the SDK. Its test builds
// the rbac command of the enclosing module and starts it:
//
//	cd sdktest/go && go test ./...
package sdktest
