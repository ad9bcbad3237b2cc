-- Version 2: organizations get the application's own external id, unique
-- in the environment when set, and key-value metadata.
ALTER TABLE organizations ADD COLUMN external_id text COLLATE "C";
ALTER TABLE organizations ADD COLUMN metadata jsonb NOT NULL DEFAULT '{}';
CREATE UNIQUE INDEX organizations_external_id_idx ON organizations (env, external_id) WHERE external_id IS NOT NULL;
-- Listings of group mappings go by id.
CREATE INDEX group_mappings_id_idx ON group_mappings (env, org_id, id);
