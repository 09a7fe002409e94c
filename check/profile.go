package check

import (
	"fmt"
	"slices"
	"strings"
)

// The profiles: which scenarios run, and how strictly their answers are
// judged.
const (
	// ProfileSecurity runs the signature cases only, what every verifying
	// receiver must get right whatever its other choices: a valid delivery
	// accepted with any 2xx; a wrong, missing, malformed or (for schemes
	// with timestamps) stale signature refused with any 4xx.
	ProfileSecurity = "security"
	// ProfileStrict runs the whole matrix and expects hooklab listen's
	// answers (411 for a missing length, 413, 415, ...). It is the default.
	ProfileStrict = "strict"
)

// DefaultProfile is the profile of a Config that names none.
const DefaultProfile = ProfileStrict

// Profile is a named selection of the scenarios.
type Profile struct {
	// Name is what --profile takes.
	Name string
	// Summary says in a few words what the profile runs and expects.
	Summary string
}

// Profiles returns the profiles, in the order help lists them.
func Profiles() []Profile {
	return []Profile{
		{Name: ProfileSecurity, Summary: "the signature cases only: valid accepted (any 2xx); wrong, missing, malformed and stale signatures refused (any 4xx)"},
		{Name: ProfileStrict, Summary: "the whole matrix, with hooklab listen's answers as the expectations (the default)"},
	}
}

// profileNames returns the names of the profiles, for errors.
func profileNames() []string {
	var names []string
	for _, p := range Profiles() {
		names = append(names, p.Name)
	}
	return names
}

// ProfileScenarios returns the scenarios a profile holds for a provider,
// in run order, with the expectations the profile judges them by. An
// unknown profile or provider is an error wrapping ErrSelection that names
// the known ones. "" is DefaultProfile.
func ProfileScenarios(providerName, profile string) ([]Scenario, error) {
	if profile == "" {
		profile = DefaultProfile
	}
	if !slices.Contains(profileNames(), profile) {
		return nil, fmt.Errorf("%w: no profile %q; the profiles are %s", ErrSelection, profile, strings.Join(profileNames(), ", "))
	}
	all, err := ScenariosFor(providerName)
	if err != nil || profile == ProfileStrict {
		return all, err
	}
	var out []Scenario
	for _, s := range all {
		if s.security {
			s.byClass = true
			out = append(out, s)
		}
	}
	return out, nil
}

// ExpectText is the expected statuses as --list prints them: "401",
// "400,401", or "2xx" and "4xx" where a profile accepts any status of the
// class.
func (s Scenario) ExpectText() string {
	return Result{Expect: s.Expect, Accept2xx: s.byClass && isClass(s.Expect, 2), Accept4xx: s.byClass && isClass(s.Expect, 4)}.ExpectText()
}

// isClass reports whether every status in codes is of class (2 for 2xx, 4
// for 4xx), and there is one.
func isClass(codes []int, class int) bool {
	return len(codes) > 0 && !slices.ContainsFunc(codes, func(c int) bool { return c/100 != class })
}
