-- The rbac schema, version 1. Every table is keyed by environment first.
-- Text columns that the library sorts use the "C" collation, so the
-- database orders them byte by byte as Go does.
--
-- Integrity the database enforces (the rest is the rbac package's job):
--   * a role's scope is '' (environment role) exactly when its slug does
--     not begin with "org-" (rules 5.2, 4.2);
--   * every role a membership holds, every role of a priority order, every
--     default role and every group mapping target exists, and an "org-"
--     role always belongs to the same organization as the membership,
--     order, default or mapping that names it (the scope column is derived
--     from the slug, never supplied), so an organization role cannot leak;
--   * a priority order holds a role at most once;
--   * one membership per (organization, user).

CREATE TABLE environments (
    id             text COLLATE "C" PRIMARY KEY,
    name           text NOT NULL,
    default_role   text COLLATE "C" NOT NULL,
    default_scope  text COLLATE "C" NOT NULL GENERATED ALWAYS AS ('') STORED,
    multiple_roles boolean NOT NULL DEFAULT false,
    revision       bigint NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);

CREATE TABLE permissions (
    env         text COLLATE "C" NOT NULL REFERENCES environments ON DELETE CASCADE,
    slug        text COLLATE "C" NOT NULL,
    id          text NOT NULL,
    name        text NOT NULL,
    description text NOT NULL,
    system      boolean NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (env, slug)
);

CREATE TABLE organizations (
    env           text COLLATE "C" NOT NULL REFERENCES environments ON DELETE CASCADE,
    id            text COLLATE "C" NOT NULL,
    name          text NOT NULL,
    -- own default role; NULL while the organization inherits.
    default_role  text COLLATE "C",
    default_scope text COLLATE "C" NOT NULL
        GENERATED ALWAYS AS (CASE WHEN left(default_role, 4) = 'org-' THEN id ELSE '' END) STORED,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (env, id)
);
CREATE INDEX organizations_default_idx ON organizations (env, default_role, id) WHERE default_role IS NOT NULL;

-- scope is '' for environment roles, else the organization id.
CREATE TABLE roles (
    env         text COLLATE "C" NOT NULL REFERENCES environments ON DELETE CASCADE,
    scope       text COLLATE "C" NOT NULL,
    slug        text COLLATE "C" NOT NULL,
    org_id      text COLLATE "C" GENERATED ALWAYS AS (nullif(scope, '')) STORED,
    id          text NOT NULL,
    name        text NOT NULL,
    description text NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (env, scope, slug),
    CONSTRAINT roles_organization_fkey FOREIGN KEY (env, org_id) REFERENCES organizations ON DELETE CASCADE,
    CONSTRAINT roles_scope_matches_slug CHECK ((scope = '') = (left(slug, 4) <> 'org-'))
);

ALTER TABLE environments ADD CONSTRAINT environments_default_role_fkey
    FOREIGN KEY (id, default_scope, default_role) REFERENCES roles (env, scope, slug)
    DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE organizations ADD CONSTRAINT organizations_default_role_fkey
    FOREIGN KEY (env, default_scope, default_role) REFERENCES roles (env, scope, slug)
    DEFERRABLE INITIALLY DEFERRED;

CREATE TABLE role_permissions (
    env        text COLLATE "C" NOT NULL,
    role_scope text COLLATE "C" NOT NULL,
    role_slug  text COLLATE "C" NOT NULL,
    permission text COLLATE "C" NOT NULL,
    PRIMARY KEY (env, role_scope, role_slug, permission),
    FOREIGN KEY (env, role_scope, role_slug) REFERENCES roles ON DELETE CASCADE,
    -- Deleting a permission removes it from every role (rule 3.3).
    FOREIGN KEY (env, permission) REFERENCES permissions (env, slug) ON DELETE CASCADE
);
CREATE INDEX role_permissions_permission_idx ON role_permissions (env, permission);

-- The environment priority order, highest priority first.
CREATE TABLE environment_order (
    env        text COLLATE "C" NOT NULL REFERENCES environments ON DELETE CASCADE,
    position   integer NOT NULL,
    role_slug  text COLLATE "C" NOT NULL,
    role_scope text COLLATE "C" NOT NULL GENERATED ALWAYS AS ('') STORED,
    PRIMARY KEY (env, position),
    CONSTRAINT environment_order_once UNIQUE (env, role_slug),
    CONSTRAINT environment_order_role_fkey FOREIGN KEY (env, role_scope, role_slug) REFERENCES roles
        DEFERRABLE INITIALLY DEFERRED
);

-- The own priority order of organizations that have one.
CREATE TABLE organization_order (
    env        text COLLATE "C" NOT NULL,
    org_id     text COLLATE "C" NOT NULL,
    position   integer NOT NULL,
    role_slug  text COLLATE "C" NOT NULL,
    role_scope text COLLATE "C" NOT NULL
        GENERATED ALWAYS AS (CASE WHEN left(role_slug, 4) = 'org-' THEN org_id ELSE '' END) STORED,
    PRIMARY KEY (env, org_id, position),
    CONSTRAINT organization_order_once UNIQUE (env, org_id, role_slug),
    FOREIGN KEY (env, org_id) REFERENCES organizations ON DELETE CASCADE,
    CONSTRAINT organization_order_role_fkey FOREIGN KEY (env, role_scope, role_slug) REFERENCES roles
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX organization_order_role_idx ON organization_order (env, role_scope, role_slug);

CREATE TABLE memberships (
    env         text COLLATE "C" NOT NULL,
    id          text COLLATE "C" NOT NULL,
    org_id      text COLLATE "C" NOT NULL,
    user_id     text COLLATE "C" NOT NULL,
    status      text NOT NULL CHECK (status IN ('active', 'inactive', 'pending')),
    role_source text NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (env, id),
    CONSTRAINT memberships_one_per_user UNIQUE (env, org_id, user_id),
    CONSTRAINT memberships_id_org UNIQUE (env, id, org_id),
    CONSTRAINT memberships_organization_fkey FOREIGN KEY (env, org_id) REFERENCES organizations ON DELETE CASCADE
);
CREATE INDEX memberships_user_idx ON memberships (env, user_id, id);

-- The roles of each membership, as a set.
CREATE TABLE membership_roles (
    env           text COLLATE "C" NOT NULL,
    membership_id text COLLATE "C" NOT NULL,
    org_id        text COLLATE "C" NOT NULL,
    role_slug     text COLLATE "C" NOT NULL,
    role_scope    text COLLATE "C" NOT NULL
        GENERATED ALWAYS AS (CASE WHEN left(role_slug, 4) = 'org-' THEN org_id ELSE '' END) STORED,
    PRIMARY KEY (env, membership_id, role_slug),
    FOREIGN KEY (env, membership_id, org_id) REFERENCES memberships (env, id, org_id) ON DELETE CASCADE,
    FOREIGN KEY (env, role_scope, role_slug) REFERENCES roles
);
CREATE INDEX membership_roles_role_idx ON membership_roles (env, role_scope, role_slug, membership_id);

CREATE TABLE group_mappings (
    env        text COLLATE "C" NOT NULL,
    org_id     text COLLATE "C" NOT NULL,
    source     text COLLATE "C" NOT NULL CHECK (source IN ('directory', 'sso')),
    group_id   text COLLATE "C" NOT NULL,
    id         text NOT NULL,
    role_slug  text COLLATE "C" NOT NULL,
    role_scope text COLLATE "C" NOT NULL
        GENERATED ALWAYS AS (CASE WHEN left(role_slug, 4) = 'org-' THEN org_id ELSE '' END) STORED,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (env, org_id, source, group_id),
    CONSTRAINT group_mappings_organization_fkey FOREIGN KEY (env, org_id) REFERENCES organizations ON DELETE CASCADE,
    FOREIGN KEY (env, role_scope, role_slug) REFERENCES roles
);
CREATE INDEX group_mappings_role_idx ON group_mappings (env, role_scope, role_slug);

-- The change feed: one row per committed write, what rbac.ChangeOf says.
CREATE TABLE changes (
    env           text COLLATE "C" NOT NULL REFERENCES environments ON DELETE CASCADE,
    revision      bigint NOT NULL,
    environment   boolean NOT NULL,
    organizations text[] COLLATE "C" NOT NULL,
    committed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (env, revision)
);
