module github.com/orgroles/rbac

go 1.25.0
