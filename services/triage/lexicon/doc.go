// Package lexicon owns triage's crisis lexicon and the classifier built from
// it: the versioned per-language term lists (embedded YAML under data/), the
// normaliser that folds a client's text into the form the lexicon is written
// in, and the matcher and rules that turn the terms found into an explainable
// verdict of none, elevated or crisis.
//
// The classifier is a screen, not a judgement: it decides how urgently a duty
// worker is asked to read a message, and every rule below leans towards
// asking sooner. A negated or past-tense crisis term is held at elevated,
// never dropped to none; an idiom only hides the words it covers.
package lexicon
