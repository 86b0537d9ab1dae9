package keyring

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
)

// ClientIDLen is the length of a client id: 128 bits in base32.
const ClientIDLen = 26

// DefaultDisplayLen is how many characters Display shows when asked for 0.
const DefaultDisplayLen = 6

// maxDisplayLen is how many whole characters SHA-256 gives in base32.
const maxDisplayLen = 51

var (
	clientIDEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)
	// Crockford's alphabet: no I, L, O or U, so a label read aloud over the
	// phone is not misheard or misread.
	crockford = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)
)

// Pseudonymizer turns a client's phone number into the id that stands for
// them everywhere in the log: their aggregate id in subjects, the key of
// their data key. The id is a keyed HMAC, so without the master key nobody
// can go from a number to an id, or check a guess; and nobody at all can go
// from an id back to a number (ingestion keeps that mapping encrypted).
type Pseudonymizer struct {
	s     *secret // see secret for why
	staff *secret // the staff work phones' key: StaffPhone
}

// NewPseudonymizer derives the pseudonym key from the master key. Client ids
// depend on it: see the rotation notes in rewrap.go before ever changing the
// master key.
func NewPseudonymizer(m MasterKey) *Pseudonymizer {
	return &Pseudonymizer{s: newSecret(m.pseudonymKey()), staff: newSecret(m.staffKey())}
}

// StaffPhone returns the keyed hash a staff work phone is recognised by
// (26 lowercase base32 characters of an HMAC-SHA256, under a key of its
// own): ingestion holds the staff's numbers only as these, so a reply to
// a page is known for a staff member's without the number being kept or
// logged. It is never a client id: another key, another input.
func (p *Pseudonymizer) StaffPhone(e164 string) string {
	mac := hmac.New(sha256.New, p.staff.b[:])
	mac.Write([]byte(stripNumber(e164)))
	return strings.ToLower(clientIDEncoding.EncodeToString(mac.Sum(nil)[:16]))
}

// String is redacted.
func (p *Pseudonymizer) String() string { return "Pseudonymizer(REDACTED)" }

// Format prints the redacted String for every verb.
func (p *Pseudonymizer) Format(f fmt.State, _ rune) { io.WriteString(f, p.String()) }

// ClientID returns the stable id of the client texting line lineID from
// e164: 26 lowercase base32 characters (the first 128 bits of an
// HMAC-SHA256). The same number on another line is another client, so lines
// cannot be correlated by id.
//
// The number is normalised by dropping spaces and the punctuation people put
// in numbers ("+44 (0)..." is not understood: pass E.164). Callers should
// reject what NormalizeE164 rejects before getting here; ClientID does not
// fail, and hashes whatever is left.
func (p *Pseudonymizer) ClientID(lineID, e164 string) string {
	return p.ClientIDGeneration(lineID, e164, 0)
}

// ClientIDGeneration returns the id of a client's generation-th identity.
// Generation 0 is ClientID. A client whose id was erased who contacts the
// line again is a new client with the next generation's id: see
// Keyring.ActiveClientID.
func (p *Pseudonymizer) ClientIDGeneration(lineID, e164 string, generation uint32) string {
	number := stripNumber(e164)
	msg := make([]byte, 0, 2*binary.MaxVarintLen64+len(lineID)+len(number)+4)
	msg = binary.AppendUvarint(msg, uint64(len(lineID)))
	msg = append(msg, lineID...)
	msg = binary.AppendUvarint(msg, uint64(len(number)))
	msg = append(msg, number...)
	if generation > 0 {
		msg = binary.BigEndian.AppendUint32(msg, generation)
	}
	mac := hmac.New(sha256.New, p.s.b[:])
	mac.Write(msg)
	return strings.ToLower(clientIDEncoding.EncodeToString(mac.Sum(nil)[:16]))
}

// Display returns the short label workers see for a client: "C-" and n
// Crockford base32 characters of the SHA-256 of the client id (n <= 0 means
// DefaultDisplayLen; at most 51).
//
// A label is not an identifier: labels collide. Six characters are 30 bits,
// so among N clients the chance that some two share a label is about
// N²/2^31: 0.05% for 1,000 clients, 4.5% for 10,000, most likely beyond
// 50,000. Never look a client up by label. A view that shows labels side by
// side disambiguates by taking more characters, as git does with short
// hashes: DisplayLabels does that for a set of clients.
func (p *Pseudonymizer) Display(clientID string, n int) string {
	if n <= 0 {
		n = DefaultDisplayLen
	}
	n = min(n, maxDisplayLen)
	sum := sha256.Sum256([]byte(clientID))
	return "C-" + crockford.EncodeToString(sum[:])[:n]
}

// DisplayLabels returns a label for each distinct client id, with at least
// n characters and more where needed so that no two labels in the set are
// equal (the colliding labels grow together).
func (p *Pseudonymizer) DisplayLabels(clientIDs []string, n int) map[string]string {
	if n <= 0 {
		n = DefaultDisplayLen
	}
	labels := make(map[string]string, len(clientIDs))
	pending := make(map[string]bool, len(clientIDs))
	for _, id := range clientIDs {
		pending[id] = true
	}
	for ; len(pending) > 0; n++ {
		byLabel := make(map[string][]string, len(pending))
		for id := range pending {
			l := p.Display(id, n)
			byLabel[l] = append(byLabel[l], id)
		}
		for l, ids := range byLabel {
			if len(ids) == 1 || n >= maxDisplayLen {
				for _, id := range ids {
					labels[id] = l
					delete(pending, id)
				}
			}
		}
	}
	return labels
}

// NormalizeE164 returns the number in E.164 form ("+" and 7 to 15 digits,
// the first not 0), after dropping spaces, dashes, dots and parentheses.
func NormalizeE164(s string) (string, error) {
	n := stripNumber(s)
	if len(n) < 8 || len(n) > 16 || n[0] != '+' || n[1] == '0' {
		return "", fmt.Errorf("phone number is not in E.164 form (+ and country code, 7 to 15 digits)")
	}
	for i := 1; i < len(n); i++ {
		if n[i] < '0' || n[i] > '9' {
			return "", fmt.Errorf("phone number is not in E.164 form: it has a character other than digits")
		}
	}
	return n, nil
}

// stripNumber drops whitespace and the punctuation people write in numbers.
func stripNumber(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r', '-', '.', '(', ')', '\u00a0':
			return -1
		}
		return r
	}, s)
}
