package rbac

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text limits.
const (
	MaxSlugLen        = 48  // role and permission slugs, in bytes (they are ASCII)
	MaxNameLen        = 48  // role and permission names, in characters
	MaxDescriptionLen = 150 // role and permission descriptions, in characters
	MaxIDLen          = 128 // ids an application supplies (organization, user, group, external ids), in bytes

	MaxOrganizationNameLen = 255 // organization names, in characters
	MaxMetadataKeys        = 50  // keys of an organization's metadata
	MaxMetadataKeyLen      = 40  // characters of a metadata key
	MaxMetadataValueLen    = 600 // characters of a metadata value
)

// An id (organization, user, membership, group, environment, external id)
// is 1 to MaxIDLen bytes of valid UTF-8 with no control, format or space
// character of any script: what an id looks like in every store.
//
// validateID checks id for a write, as field.
func validateID(field, id string, max int) error {
	if id == "" {
		return invalidf(field, "required", "%s is required", field)
	}
	if len(id) > max {
		return invalidf(field, fmt.Sprintf("at most %d bytes", max), "%s is longer than %d bytes", field, max)
	}
	if !utf8.ValidString(id) {
		return invalidf(field, "valid UTF-8", "%s is not valid UTF-8", field)
	}
	for _, r := range id {
		if badInID(r) {
			return invalidf(field, "no whitespace, control or format characters",
				"%s %q has the character %U, which ids may not hold", field, id, r)
		}
	}
	return nil
}

// badInID reports whether r may not appear in an id: a control (Cc),
// format (Cf) or separator (Zs, Zl, Zp) character, or any Unicode white
// space.
func badInID(r rune) bool {
	return unicode.IsControl(r) || unicode.IsSpace(r) || unicode.In(r, unicode.Cf, unicode.Z)
}

// validID reports whether id could be stored: reads answer "not found" for
// the ids that could not, without asking the store.
func validID(id string) bool { return validateID("id", id, MaxIDLen) == nil }

// Names and descriptions are valid UTF-8 without control characters;
// ordinary spaces are allowed.
func validateTextField(field, s string, max int) error {
	if !utf8.ValidString(s) {
		return invalidf(field, "valid UTF-8", "%s is not valid UTF-8", field)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return invalidf(field, fmt.Sprintf("at most %d characters", max), "%s has %d characters, more than %d", field, n, max)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return invalidf(field, "no control characters", "%s has the control character %U", field, r)
		}
	}
	return nil
}

func validateName(name string) error {
	if strings.TrimSpace(name) == "" {
		return invalidf("name", "required", "name is required")
	}
	return validateTextField("name", name, MaxNameLen)
}

func validateDescription(d string) error {
	return validateTextField("description", d, MaxDescriptionLen)
}

// validateText checks a required name and an optional description.
func validateText(name, description string) error {
	if err := validateName(name); err != nil {
		return err
	}
	return validateDescription(description)
}

// validateUpdate checks the fields a partial update sets.
func validateUpdate(name, description *string) error {
	if name != nil {
		if err := validateName(*name); err != nil {
			return err
		}
	}
	if description != nil {
		if err := validateDescription(*description); err != nil {
			return err
		}
	}
	return nil
}

// validateOrganizationText checks an organization's name (optional: it
// defaults to the id), external id and metadata.
func validateOrganizationText(name string, externalID string, metadata map[string]string) error {
	if err := validateTextField("name", name, MaxOrganizationNameLen); err != nil {
		return err
	}
	if externalID != "" {
		if err := validateID("external_id", externalID, MaxIDLen); err != nil {
			return err
		}
	}
	if len(metadata) > MaxMetadataKeys {
		return invalidf("metadata", fmt.Sprintf("at most %d keys", MaxMetadataKeys), "metadata has %d keys, more than %d", len(metadata), MaxMetadataKeys)
	}
	for k, v := range metadata {
		if k == "" {
			return invalidf("metadata", "no empty key", "metadata has an empty key")
		}
		if err := validateTextField("metadata", k, MaxMetadataKeyLen); err != nil {
			e := err.(*Error)
			e.Message = fmt.Sprintf("metadata key %q: %s", k, e.Message)
			return e
		}
		if err := validateTextField("metadata", v, MaxMetadataValueLen); err != nil {
			e := err.(*Error)
			e.Message = fmt.Sprintf("metadata value of %q: %s", k, e.Message)
			return e
		}
	}
	return nil
}
