package lexicon

import (
	"bytes"
	"strings"
)

// The structure beyond phrases: which terms count, with what, about whom,
// and when. Each step marks hits; facts then reads the marks.

// idioms: an idiom hides every signal term it overlaps in the original
// text ("this exam is killing me", "me muero de risa"), and nothing else: a
// term outside the idiom's words still counts ("dead tired, I want to
// die"). It reports whether anything was hidden.
func (cl *Classifier) idioms(sc *scratch) bool {
	hidden := false
	for i := range sc.hits {
		g := &sc.hits[i]
		if g.kind != tkIdiom {
			continue
		}
		for j := range sc.hits {
			h := &sc.hits[j]
			// A longer phrase that holds the idiom's words is read as
			// itself: "ideas DE MUERTE" is no "aburrido de muerte".
			encloses := h.os <= g.os && g.oe <= h.oe && h.oe-h.os > g.oe-g.os
			if (h.kind == tkSignal || h.kind == tkCue) && h.flags&hitDropped == 0 && h.os < g.oe && g.os < h.oe && !encloses {
				h.flags |= hitDropped
				// Cue words are no evidence of their own: an idiom
				// that hides only cues changed no signal.
				if h.kind == tkSignal {
					g.flags |= hitEvidence
					hidden = true
				}
			}
		}
	}
	return hidden
}

// contained: a signal term inside a longer one counts only as part of it,
// so "suicide note" is not also "suicide". A longer term whose near
// condition is not met hides nothing ("to die" with no means still leaves
// "want to die"). Likewise a modifier inside a longer modifier: the "my"
// of "my story" says nothing about whom a term is about, the "now" of
// "I'm fine now" is no time frame.
func (cl *Classifier) contained(sc *scratch) {
	// Cue words take no part: the hits that do, in order, once.
	own := sc.idx[:0]
	for i := range sc.hits {
		if sc.hits[i].kind != tkCue {
			own = append(own, int32(i))
		}
	}
	sc.idx = own
	if len(own) < 2 {
		return // no other to be inside
	}
	for _, i := range own {
		a := &sc.hits[i]
		if a.flags&hitOut != 0 {
			continue
		}
		// a's own flags are read above, before the loop may drop it (a
		// hit inside itself is no shorter, so it never drops itself).
		aos, aoe, signal, pass := a.os, a.oe, a.kind == tkSignal, a.pass
		for _, j := range own {
			b := &sc.hits[j]
			if aos <= b.os && b.oe <= aoe && aoe-aos > b.oe-b.os && (b.kind == tkSignal) == signal && b.kind != tkNegation && b.pass == pass {
				b.flags |= hitDropped
			}
		}
	}
}

// near: a term with a near condition counts only with a means of an
// accepted kind within nearWindow words, in either order ("bought" ...
// "pills", "pills" ... "ordered"), and, when it needs many, with a count
// of ten or more at most manyWindow words before that means ("took 30 of
// my pills", "swallowed the whole box"). The nearest means wins.
func (cl *Classifier) near(sc *scratch) {
	if sc.kinds&kindNear == 0 {
		return // no term with a near condition was found
	}
	terms := cl.c.terms
	// The hits a means may be among: none when no signal term naming one
	// was found.
	means := sc.hits
	if sc.kinds&kindMeans == 0 {
		means = nil
	}
	for i := range sc.hits {
		h := &sc.hits[i]
		if h.kind != tkSignal || h.flags&hitDropped != 0 {
			continue
		}
		t := &terms[h.term]
		if t.r.near == 0 {
			continue
		}
		best, bestGap := int32(-1), int32(1<<30)
		for j := range means {
			m := &means[j]
			mt := &terms[m.term]
			if j == i || m.kind != tkSignal || m.pass != h.pass || m.flags&hitDropped != 0 || mt.r.means == meansNone ||
				!t.r.near.accepts(mt.r.means, mt.action) {
				continue
			}
			gap := max(m.ws-h.we, h.ws-m.we, 0)
			// Where one is, the place follows closely: "I'm on the
			// bridge", not "I'm at home, not at any bridge".
			if t.r.kind == kindAtPlace && (m.ws <= h.we || gap > atPlaceWindow || negationBetween(sc, h.pass, h.we, m.ws)) {
				continue
			}
			if gap > nearWindow || gap >= bestGap || (t.many && !cl.counted(sc, *m)) {
				continue
			}
			best, bestGap = int32(j), gap
		}
		if best < 0 {
			h.flags |= hitUnmet
			continue
		}
		h.partner = best
	}
}

// counted reports whether a count of ten or more stands at most
// manyWindow words before means m.
func (cl *Classifier) counted(sc *scratch, m hit) bool {
	for _, q := range sc.hits {
		if q.kind == tkMany && q.pass == m.pass && q.we < m.ws && m.ws-q.we <= manyWindow && !strength(sc.n[q.pass].buf, q.ne) {
			return true
		}
	}
	return false
}

// units of a strength: "500mg paracetamol" is one tablet, not 500.
var units = map[string]bool{"mg": true, "mcg": true, "ml": true, "g": true, "milligrams": true, "miligramos": true,
	"milligrammes": true, "grams": true, "gramos": true, "grammes": true, "units": true, "unidades": true, "unites": true, "iu": true}

// strength reports whether the word after byte i of buf is a unit.
func strength(buf []byte, i int32) bool {
	for i < int32(len(buf)) && buf[i] == ' ' {
		i++
	}
	j := i
	for j < int32(len(buf)) && buf[j] != ' ' {
		j++
	}
	return units[string(buf[i:j])]
}

// qualify marks signal terms that are negated, in the past, or in a story
// or the news, and decides whom each is about.
//
// Negation: a cue ("not", "never", "no", "pas", "nunca") counts only when
// it ends right before the term, with at most three filler words between
// ("not GOING TO kill myself", "no ME quiero matar"). Anything else
// between breaks it, so "I'm not okay, I want to die" stays a crisis. A
// void cue right before the negation cancels it ("can't promise I won't").
//
// Past: a cue right before the term ("used to") or up to four words after
// it ("when I was 15", "two years ago").
//
// Person: the term's own person if it has one ("kill myself", "quiere
// morirse"), else the nearest self or third-party cue ending at most
// personWindow words before it ("my friend said she wants to die"). With
// no cue a term is read as the writer's. Harm from others is the writer's
// unless its term says otherwise: the "he" in "he hit me" is not whom the
// harm is about.
//
// Scope: a media or hypothetical cue in the same sentence, within
// scopeWindow words, hides a term that is not explicitly the writer's ("a
// documentary about suicide", but not "after the film I want to die").
func (cl *Classifier) qualify(sc *scratch) {
	terms := cl.c.terms
	lang := cl.language(sc)
	sc.lang = lang
	sc.quotes = 0 // quotedOther looks when it is first asked
	mods, scope := cl.modifiers(sc)
	// A report cue was found (only collect adds cue hits).
	report := sc.kinds&kindReport != 0
	for i := range sc.hits {
		h := &sc.hits[i]
		if h.kind != tkSignal || h.flags&hitOut != 0 {
			continue
		}
		t := &terms[h.term]
		n := &sc.n[h.pass]
		h.person = t.r.person
		cueEnd := int32(-1)
		sent := n.sentenceOf(h.ws)
		for _, j := range mods {
			g := &sc.hits[j]
			if g.pass != h.pass {
				continue
			}
			mishap := g.kind == tkCue && g.cue == cueMishap
			play := g.kind == tkCue && g.cue == cuePlay
			benign := g.kind == tkCue && g.cue == cueBenign
			switch g.kind {
			case tkNegation:
				// A purpose is often said with a negation: "so I don't
				// wake up", "para no sobrevivir".
				if t.r.kind != kindPurpose && g.ne <= h.ns && n.sentenceOf(g.we) == sent &&
					gapOK(n.buf, g.ne, h.ns, negationGap, cl.c.negFillers) && !cl.voided(sc, *g) {
					h.flags |= hitNegated
					g.flags |= hitEvidence
				}
				// Spoken French drops the "ne" and puts "jamais" after the
				// verb: "je me tuerais JAMAIS"; and "pas" after the
				// auxiliary a term ends with, or after a harm's verb:
				// "je l'ai PAS fait", "il ne me frappe PAS" (not "j'en
				// ai pris PAS MAL").
				if t.r.kind != kindPurpose && g.ws == h.we+1 && (cl.c.terms[g.term].phrase == "jamais" ||
					cl.c.terms[g.term].phrase == "pas" && (frenchAux[wordAt(sc, h.pass, h.we)] || t.r.signal == sigHarm && t.language == "fr") &&
						!pasNotNegating[wordAt(sc, h.pass, g.we+1)]) {
					h.flags |= hitNegated
					g.flags |= hitEvidence
				}
				// A denial said after the term, doubled: "matarme no,
				// jamás", "kill myself? no, never" (not "me quiero
				// matar, no sé").
				if t.r.kind != kindPurpose && g.ws == h.we+1 && cl.c.terms[g.term].phrase == "no" && deniedAgain[wordAt(sc, h.pass, g.we+1)] {
					h.flags |= hitNegated
					g.flags |= hitEvidence
				}
			case tkPast:
				// An imminent time between them starts the present: "I
				// stopped years ago but TONIGHT I cut again".
				before := g.ne <= h.ns && h.ws-g.we <= historyGapBefore && n.sentenceOf(g.we) == sent && !timeBetween(sc, h.pass, g.we, h.ws)
				after := g.ns >= h.ne && g.ws-h.we <= historyGapPast
				// A past cue among the term's own words tells it too: "my
				// dad USED TO hit me" is a past, however the term reads,
				// unless a time after it starts the present ("..., he's
				// home now and I'm scared").
				inside := g.ns >= h.ns && g.ne <= h.ne && !timeAfter(sc, h.pass, h.we)
				if before || after || inside {
					h.flags |= hitPast
					g.flags |= hitEvidence
				}
			case tkMedical:
				// Everyday medicine: "bought paracetamol for my fever",
				// "two boxes of tablets from the doctor".
				if t.r.signal == sigMethod && t.r.kind != kindPrepared && n.sentenceOf(g.ws) == sent &&
					max(g.ws-h.we, h.ws-g.we) <= scopeWindow {
					h.flags |= hitHidden
					g.flags |= hitEvidence
				}
			case tkCue:
				// An everyday injury: "me corté pelando patatas", "je me
				// suis coupée en cuisinant" is no self-harm.
				// An everyday task likewise explains a means made ready or
				// a tool in someone's hand ("il prépare le dîner avec un
				// couteau", "downstairs with a hammer putting up shelves");
				// a threat beside it still counts.
				everyday := t.r.signal == sigRecent && t.r.kind == kindCut || t.r.signal == sigMethod && t.r.kind == kindPrepared ||
					t.r.signal == sigHarm && t.r.kind == kindWeapon
				// The task is other words than the term's ("noose" folds
				// to "nose"), or encloses them ("il PRÉPARE le dîner").
				apart := g.ws > h.we || g.we < h.ws || g.ws <= h.ws && g.we >= h.we && g.we-g.ws > h.we-h.ws
				if mishap && everyday && apart && n.sentenceOf(g.ws) == sent && max(g.ws-h.we, h.ws-g.we) <= scopeWindow {
					h.flags |= hitHidden
					g.flags |= hitEvidence
				}
				if play && t.r.signal == sigHarm && n.sentenceOf(g.ws) == sent && max(g.ws-h.we, h.ws-g.we) <= scopeWindow {
					h.flags |= hitHidden
					g.flags |= hitEvidence
				}
				// A means looked up or bought for an everyday purpose ("which
				// bridge has the best view for photos", "a rope for the
				// climbing wall") is no method.
				if benign && t.r.signal == sigMethod && (t.r.kind == kindResearched || t.r.kind == kindAcquired) && h.flags&hitSynthetic == 0 &&
					n.sentenceOf(g.ws) == sent && max(g.ws-h.we, h.ws-g.we) <= scopeWindow {
					h.flags |= hitHidden
					g.flags |= hitEvidence
				}
				// Being on a roof to hang the washing or for a party is
				// being there for an everyday reason ("estoy en la azotea
				// tendiendo la ropa").
				if benign && t.r.signal == sigRecent && t.r.kind == kindAtPlace &&
					n.sentenceOf(g.ws) == sent && max(g.ws-h.we, h.ws-g.we) <= scopeWindow {
					h.flags |= hitHidden
					g.flags |= hitEvidence
				}
				// A dose taken as the doctor said is the day's dose, no
				// overdose: "took all my meds this morning like the
				// doctor said", "j'ai pris tous mes médicaments ce matin
				// comme le médecin a dit". A means made ready is not
				// explained by it.
				if g.cue == cuePrescribed && n.sentenceOf(g.ws) == sent && max(g.ws-h.we, h.ws-g.we) <= scopeWindow &&
					(t.r.signal == sigRecent && t.r.kind == kindTaken || t.r.signal == sigMethod && t.r.kind != kindPrepared) {
					h.flags |= hitHidden
					g.flags |= hitEvidence
				}
				// Doses made ready at one's work are a job: "je prépare
				// les cachets à la pharmacie de l'hôpital", "counting
				// pills at the hospital pharmacy".
				if g.cue == cueJob && n.sentenceOf(g.ws) == sent && max(g.ws-h.we, h.ws-g.we) <= scopeWindow &&
					t.r.signal == sigMethod && t.r.kind == kindPrepared {
					h.flags |= hitHidden
					g.flags |= hitEvidence
				}
			case tkSelf, tkThird:
				// Of two cues ending together the longer wins below; a cue
				// inside a longer one was dropped above.
				// A burden is the writer's whoever would cope without
				// them: "he'd be better off without me", "il s'en
				// sortira sans moi".
				if t.r.person != personUnknown || t.r.signal == sigHarm || t.r.signal == sigWish && t.r.kind == kindBurden ||
					g.ne > h.ns || h.ws-g.we > personWindow || g.ne < cueEnd {
					continue
				}
				// The French impersonal "il" names no one: "combien il
				// FAUT pour", "il y a", "il reste".
				if g.kind == tkThird && impersonal(sc, g) {
					continue
				}
				// A person is said in the message's language: the Spanish
				// "he" of "he dejado una carta" (I have left) is no
				// English "he".
				if lang != "" && terms[g.term].language != lang {
					continue
				}
				// Someone after a preposition is whom the act is for or
				// to, not who does it: "wrote a letter TO my mum", "le
				// escribí A mi madre", "dit au revoir AUX potes".
				if g.kind == tkThird && objectMarkers[prevWord(n.buf, g.ns)] {
					continue
				}
				// The nearest cue wins; of two ending together, the
				// longer ("my friend" over "my").
				if g.ne > cueEnd || g.kind == tkThird {
					cueEnd = g.ne
					h.person = personSelf
					if g.kind == tkThird {
						h.person = personThird
					}
				}
			}
		}
		// A pronoun that is the term's own first word is its subject, the
		// nearest there can be: "mon cousin a un flingue et je sais où il le
		// cache, J'Y VAIS samedi" is the writer going, whoever the cue
		// before it named.
		if t.r.person == personUnknown && t.r.signal != sigHarm && !(t.r.signal == sigWish && t.r.kind == kindBurden) {
			if p, ok := ownSubject(cl, sc, mods, h, lang); ok {
				h.person = p
			}
		}
		// Someone else's words passed on are theirs, in whatever person
		// they are written: "a girl in my class posted 'im going to end
		// it' on her story", "un mec de ma classe a posté 'demain je
		// serai plus là'". Harm stays the writer's.
		if report && t.r.signal != sigHarm && cl.reported(sc, h, lang) {
			h.person = personThird
		}
		// Words in quotation marks after someone else are theirs: "ma
		// sœur m'a écrit « je veux plus être là »", "mi hijo puso "me
		// quiero morir"", "the character says "I'm going to kill
		// myself"" (not "I told my mum "I want to die""). Harm stays
		// the writer's.
		// A character's lines are the story's: "le personnage dit « je
		// vais me tuer »".
		if t.r.signal != sigHarm && h.person != personThird {
			switch cl.quotedOther(sc, mods, scope, h, lang) {
			case tkThird:
				h.person = personThird
			case tkMedia, tkHypothetical:
				h.flags |= hitHidden
			}
		}
		// Harm someone else tells of, whose verb names someone else as
		// its object, is theirs: "la vecina DICE que su marido LA
		// amenazó", "my neighbour SAYS her husband threatened HER", "ma
		// voisine DIT que son mari L'A menacée" (not "me amenazó", nor
		// "la amenaza de mi ex", a noun, nor "he threatened her with a
		// knife, she's 6 and hiding with me", told by no one else).
		if t.r.signal == sigHarm && h.person == personUnknown && otherObject(sc, h, t.language) && toldBefore(sc, h, t.language) {
			h.person = personThird
		}
		// A death word inside someone else's suicide is no threat to the
		// writer: "un compañero le dijo que se iba a MATAR con la pistola
		// de su papá", "un copain veut se TUER avec le fusil".
		if t.r.signal == sigHarm && h.person == personUnknown && insideOthersSuicide(cl, sc, h) {
			h.person = personThird
		}
		// Harm or an act told in the imperfect is a past habit: "mon ex
		// m'étranglait", "mi ex me pegaba" (not "il me fait mal").
		if (t.r.signal == sigHarm || t.r.signal == sigRecent) && imperfect(n, h, t.language) {
			h.flags |= hitPast
		}
		// Exasperation with a thing is no hopelessness: "ya no puedo más
		// CON tanto papel", "j'en peux plus DE ces papiers", unless what
		// follows is living or dying ("j'en peux plus de vivre").
		if t.r.signal == sigWish && t.r.kind == kindHopeless && h.flags&hitSynthetic == 0 && exasperation(cl, sc, h) {
			h.flags |= hitHidden
		}
		if h.person != personSelf {
			for _, j := range scope {
				g := &sc.hits[j]
				// A story said right after its question ("¿cuánto tarda
				// alguien en morir estrangulado? es para una escena")
				// tells the question too.
				next := g.kind == tkHypothetical && g.ws > h.we && n.sentenceOf(g.ws) == n.sentenceOf(h.ws)+1
				// A child groomed through a game or an app is groomed
				// all the same: "a man from the game wants photos".
				if g.kind == tkMedia && t.r.signal == sigHarm && t.r.kind == kindGrooming {
					continue
				}
				// A story or media word among the term's own words is part
				// of them: "the man from THE GAME".
				if g.ws >= h.ws && g.we <= h.we {
					continue
				}
				// Someone watching a film or playing a game now is doing
				// it, no story told: "he's got the knife, he's watching a
				// film downstairs" is a danger (rules 2026.12.7.50); "a
				// film WHERE he stabs her" is still the film's.
				if g.kind == tkMedia && t.r.signal == sigHarm && watching[wordAt(sc, g.pass, g.ws-1)] && !mediaFrame[wordAt(sc, g.pass, g.we+1)] {
					continue
				}
				if (g.kind == tkMedia || g.kind == tkHypothetical) && g.pass == h.pass && g.flags&hitDropped == 0 &&
					(n.sentenceOf(g.ws) == n.sentenceOf(h.ws) || next) && max(g.ws-h.we, h.ws-g.we) <= scopeWindow {
					h.flags |= hitHidden
					g.flags |= hitEvidence
				}
			}
		}
	}
}

// ownSubject returns whom term hit h is about when a person cue starts at
// its first word (the longest of them), with the filters the nearest cue
// has: the message's language, not the impersonal "il".
func ownSubject(cl *Classifier, sc *scratch, mods []int32, h *hit, lang string) (person, bool) {
	best := int32(-1)
	for _, j := range mods {
		g := &sc.hits[j]
		if g.kind != tkSelf && g.kind != tkThird || g.pass != h.pass || g.ws != h.ws || best >= 0 && g.ne <= sc.hits[best].ne {
			continue
		}
		if lang != "" && cl.c.terms[g.term].language != lang || g.kind == tkThird && impersonal(sc, g) {
			continue
		}
		best = j
	}
	if best < 0 {
		return personUnknown, false
	}
	if sc.hits[best].kind == tkThird {
		return personThird, true
	}
	return personSelf, true
}

// modifiers returns, in order, the hits that can qualify a signal term in
// qualify: the modifiers its switch reads, and the media and hypothetical
// cues (scope) its last step reads. The rest, most of them cue words,
// change nothing there. Nothing qualify does drops a hit, so the lists
// hold for the whole step.
func (cl *Classifier) modifiers(sc *scratch) (mods, scope []int32) {
	mods, scope = sc.idx[:0], sc.scope[:0]
	for j := range sc.hits {
		g := &sc.hits[j]
		dropped := g.flags&hitDropped != 0
		switch g.kind {
		case tkNegation, tkPast, tkMedical, tkSelf, tkThird:
			if !dropped && !(g.kind == tkNegation && cl.answer(sc, g)) {
				mods = append(mods, int32(j))
			}
		case tkCue:
			// A mishap or an everyday purpose counts even inside an
			// idiom ("je me suis coupé EN CUISINANT", "hang the
			// washing"); a blow in play ("hit me with a pillow", "by
			// accident") is no harm.
			// A dose taken as the doctor said, doses made ready at
			// one's work.
			if g.cue == cueMishap || g.cue == cueBenign || (g.cue == cuePlay || g.cue == cuePrescribed || g.cue == cueJob) && !dropped {
				mods = append(mods, int32(j))
			}
		case tkMedia, tkHypothetical:
			if !dropped {
				scope = append(scope, int32(j))
			}
		}
	}
	sc.idx, sc.scope = mods, scope
	return mods, scope
}

// watching are the words before a media cue that make it what someone
// is doing; mediaFrame the words after it that make it a story's frame.
var (
	watching = map[string]bool{"watching": true, "watches": true, "playing": true, "plays": true, "viendo": true, "mirando": true,
		"jugando": true, "ve": true, "mira": true, "juega": true, "regarde": true, "regardant": true, "joue": true, "jouant": true}
	mediaFrame = map[string]bool{"where": true, "about": true, "which": true, "that": true, "of": true, "donde": true, "sobre": true, "que": true, "de": true,
		"ou": true, "sur": true, "qui": true}
)

// answer reports whether negation hit g is a bare answer to a question,
// "no" or "non" opening its sentence with a comma or a "!" after it: "no,
// he has a knife", "no, quiero morirme", "non, je veux mourir" answer
// "are you safe?" and deny nothing of what follows (rules 2026.12.7.50).
// "no he doesnt hit me", "no, i'm not going to" are still denials, by
// their own negation.
func (cl *Classifier) answer(sc *scratch, g *hit) bool {
	if g.we != g.ws {
		return false
	}
	if p := cl.c.terms[g.term].phrase; p != "no" && p != "non" {
		return false
	}
	n := &sc.n[g.pass]
	if g.ws > 0 && n.sentenceOf(g.ws-1) == n.sentenceOf(g.ws) {
		return false
	}
	for i := int(g.oe); i < len(sc.text); i++ {
		switch sc.text[i] {
		case ' ', '\t':
			continue
		case ',', '!':
			return true
		}
		return false
	}
	return false
}

// resolvedPast: a message that says its past is over ("aged 16 I tried
// to hang myself, I'm 34 now and life is good") tells all of it as that
// past, whatever the distance between the past cue and each term, unless
// it names an imminent time ("but tonight I took them"): every signal
// term not already held is put in the past.
func (cl *Classifier) resolvedPast(sc *scratch) {
	// Most messages have no past cue or no statement that it is over.
	if sc.kinds&(1<<tkPast) == 0 || sc.kinds&(1<<tkResolved) == 0 {
		return
	}
	var past, resolved bool
	for i := range sc.hits {
		g := &sc.hits[i]
		if g.flags&hitDropped != 0 {
			continue
		}
		switch g.kind {
		case tkTime:
			return
		case tkPast:
			past = true
		case tkResolved:
			resolved = true
		}
	}
	if !past || !resolved {
		return
	}
	for i := range sc.hits {
		h := &sc.hits[i]
		if h.kind == tkSignal && h.flags&(hitOut|hitNegated|hitHidden) == 0 {
			h.flags |= hitPast
		}
	}
}

// thingMarkers are the words after which a complaint is about a thing.
var thingMarkers = map[string]bool{"with": true, "con": true, "de": true, "des": true, "du": true, "avec": true, "about": true}

// everythingWords after a thing marker make it hopelessness again: "ya no
// puedo más con TODO", "fed up with LIFE".
var everythingWords = map[string]bool{"todo": true, "everything": true, "al": true, "tout": true, "life": true, "vida": true,
	"vie": true, "living": true, "vivir": true, "vivre": true, "la": true, "it": true}

// wordAt2 returns the normalised word two after hit h.
// deniedAgain are the words that, after a "no" following a term, make
// it a denial of the term.
var deniedAgain = map[string]bool{"jamas": true, "nunca": true, "never": true}

func wordAt2(sc *scratch, h *hit) string {
	g := *h
	g.we++
	return wordAfter(sc, &g)
}

// exasperation reports whether hit h is followed by a thing marker and no
// death, wish or suicide word stands within the next three words.
func exasperation(cl *Classifier, sc *scratch, h *hit) bool {
	if !thingMarkers[wordAfter(sc, h)] || everythingWords[wordAt2(sc, h)] {
		return false
	}
	for i := range sc.hits {
		g := &sc.hits[i]
		if g.pass == h.pass && g.ws > h.we && g.ws <= h.we+3 && cl.cueOf(g).meets(deathWishClasses) {
			return false
		}
	}
	return true
}

// objectMarkers are the prepositions, in every language, after which a
// person is the object of an act rather than its subject (normalised:
// "à" is "a").
var objectMarkers = map[string]bool{"to": true, "for": true, "a": true, "al": true, "para": true, "pour": true, "au": true, "aux": true}

// prevWord returns the word of buf that ends right before byte i (a
// word's first byte), or "".
func prevWord(buf []byte, i int32) string {
	e := i - 1 // the space before the word
	s := e
	for s > 0 && buf[s-1] != ' ' {
		s--
	}
	if s >= e {
		return ""
	}
	return string(buf[s:e])
}

// voided reports whether a void cue stands right before negation cue g.
func (cl *Classifier) voided(sc *scratch, g hit) bool {
	for _, v := range sc.hits {
		if v.pass == g.pass && v.kind == tkVoid && v.ne <= g.ns && gapOK(sc.n[g.pass].buf, v.ne, g.ns, voidGap, nil) {
			return true
		}
	}
	return false
}

// gapOK reports whether the words of buf[from:to] number at most max and,
// when allowed is not nil, are all in it.
func gapOK(buf []byte, from, to int32, max int, allowed map[string]bool) bool {
	if from > to {
		return false
	}
	words := 0
	for i := from; i < to; {
		if buf[i] == ' ' {
			i++
			continue
		}
		j := i
		for j < to && buf[j] != ' ' {
			j++
		}
		words++
		if words > max || (allowed != nil && !allowed[string(buf[i:j])]) {
			return false
		}
		i = j
	}
	return true
}

// timeBetween reports whether an imminent time cue ("tonight") stands
// between words from and to of a pass.
func timeBetween(sc *scratch, pass uint8, from, to int32) bool {
	for i := range sc.hits {
		g := &sc.hits[i]
		if g.kind == tkTime && g.pass == pass && g.flags&hitDropped == 0 && g.ws > from && g.we < to {
			return true
		}
	}
	return false
}

// timeAfter reports whether a time frame or a "now" follows word from of
// a pass.
func timeAfter(sc *scratch, pass uint8, from int32) bool {
	for i := range sc.hits {
		g := &sc.hits[i]
		if (g.kind == tkTime || g.kind == tkSoon) && g.pass == pass && g.flags&hitDropped == 0 && g.ws >= from {
			return true
		}
	}
	return false
}

// negationBetween reports whether a negation cue stands between words from
// and to of a pass: "je suis sur AUCUN pont".
func negationBetween(sc *scratch, pass uint8, from, to int32) bool {
	for i := range sc.hits {
		g := &sc.hits[i]
		if g.kind == tkNegation && g.pass == pass && g.ws > from && g.we < to {
			return true
		}
	}
	return false
}

// language returns the language most of the message's words found are
// of, or "" when two languages tie: words spelled alike in two languages
// ("suicide") report the first, so one word never decides. The words are
// the hits collect found, counted as it found them (scratch.langs).
func (cl *Classifier) language(sc *scratch) string {
	count := &sc.langs
	best, tie := 0, false
	for l := 1; l < len(count); l++ {
		switch {
		case count[l] > count[best]:
			best, tie = l, false
		case count[l] == count[best]:
			tie = true
		}
	}
	if tie || count[best] == 0 {
		return ""
	}
	return cl.c.langCode[best]
}

// imperfectEndings are the endings of the Spanish and French imperfect,
// folded as the normaliser folds them.
var imperfectEndings = map[string][]string{
	"es": {"aba", "abas", "aban", "abamos"},
	"fr": {"ait", "aient", "ais"},
}

// imperfect reports whether a word of hit h, of six letters or more, is
// in the imperfect of the term's language.
func imperfect(n *normaliser, h *hit, lang string) bool {
	ends := imperfectEndings[lang]
	if len(ends) == 0 {
		return false
	}
	for w := h.ws; w <= h.we && int(w) < len(n.words); w++ {
		start := n.words[w]
		end := start
		for int(end) < len(n.buf) && n.buf[end] != ' ' {
			end++
		}
		word := n.buf[start:end]
		if len(word) < 6 {
			continue
		}
		for _, e := range ends {
			if bytes.HasSuffix(word, []byte(e)) {
				return true
			}
		}
	}
	return false
}

// frenchAux are the auxiliaries and verbs a French term can end with
// before a spoken "pas": "je l'ai pas", "j'ai pas", "je vais pas".
var frenchAux = map[string]bool{"ai": true, "vais": true, "veux": true, "suis": true, "peux": true, "sais": true}

// pasNotNegating are the words after which "pas" negates nothing: "pas
// mal de" is a good many, "pas moins de" no fewer than.
var pasNotNegating = map[string]bool{"mal": true, "moins": true, "loin": true}

// wordAt returns normalised word w of a pass, or "".
func wordAt(sc *scratch, pass uint8, w int32) string {
	n := &sc.n[pass]
	if w < 0 || int(w) >= len(n.words) {
		return ""
	}
	start := n.words[w]
	end := start
	for int(end) < len(n.buf) && n.buf[end] != ' ' {
		end++
	}
	return string(n.buf[start:end])
}

// reportWindow bounds, in words, how far a term may follow the verb that
// passes on someone's words ("posted ... 'im going to end it'").
const reportWindow = 8

// possessiveCues are the self cues that name no one's act ("a girl in MY
// class posted").
var possessiveCues = map[string]bool{"my": true, "mi": true, "mis": true, "mon": true, "ma": true, "mes": true}

// reported reports whether hit h follows, within reportWindow words, a
// verb passing on someone's words (cue class report) whose nearest person
// before it is someone else: "a girl in my class POSTED", not "my mum
// saw that I POSTED".
func (cl *Classifier) reported(sc *scratch, h *hit, lang string) bool {
	if sc.kinds&kindReport == 0 {
		return false
	}
	terms := cl.c.terms
	for i := range sc.hits {
		r := &sc.hits[i]
		if r.kind != tkCue || r.pass != h.pass || r.flags&hitDropped != 0 || r.cue != cueReport ||
			r.we >= h.ws || h.ws-r.we > reportWindow {
			continue
		}
		who, end := personUnknown, int32(-1)
		for j := range sc.hits {
			g := &sc.hits[j]
			if g.pass != h.pass || g.kind != tkSelf && g.kind != tkThird || g.flags&hitDropped != 0 || g.we >= r.ws ||
				r.ws-g.we > reportWindow || g.we < end || lang != "" && terms[g.term].language != lang {
				continue
			}
			if g.kind == tkSelf && possessiveCues[wordAt(sc, g.pass, g.we)] && g.ws == g.we || g.kind == tkThird && impersonal(sc, g) {
				continue
			}
			if g.we > end || g.kind == tkThird {
				end, who = g.we, personSelf
				if g.kind == tkThird {
					who = personThird
				}
			}
		}
		if who == personThird {
			r.flags |= hitEvidence
			return true
		}
	}
	return false
}

// quoteOpen returns the byte offset in text of a quotation mark left
// open before byte i, or -1: a « or “ not closed by » or ”, or an odd
// straight double quote.
func quoteOpen(text string, i int32) int32 {
	curly, straight := int32(-1), int32(-1)
	for j, r := range text[:min(int(i), len(text))] {
		switch r {
		case '«', '“', '„':
			curly = int32(j)
		case '»', '”':
			curly = -1
		case '"':
			if straight >= 0 {
				straight = -1
			} else {
				straight = int32(j)
			}
		}
	}
	return max(curly, straight)
}

// opensQuote reports whether text may hold a mark quoteOpen reads as
// opening a quotation; without one, quoteOpen finds none.
// The curly marks are found by their first byte (IndexByte is the
// cheapest search), then read whole.
func opensQuote(text string) bool {
	if strings.IndexByte(text, '"') >= 0 {
		return true
	}
	for _, lead := range [...]byte{"«"[0], "“"[0]} {
		for s := text; ; s = s[1:] {
			i := strings.IndexByte(s, lead)
			if i < 0 {
				break
			}
			s = s[i:]
			if strings.HasPrefix(s, "«") || strings.HasPrefix(s, "“") || strings.HasPrefix(s, "„") {
				return true
			}
		}
	}
	return false
}

// quotedOther returns who opened the quotation marks term hit h stands
// in: the kind of the first person cue of the sentence before the mark,
// the subject of what is quoted, or of a story or media cue before it
// ("MA SŒUR m'a écrit « ... »", "MY FRIEND texted me "..."", "LE
// PERSONNAGE dit « ... »"; not "I told my mum "..."", whose first person is
// the writer). A possessive alone ("in MY play") is no subject; nor is the
// impersonal "il", or someone after a preposition ("wrote TO my mum"). It
// returns tkSignal when the term is not quoted or no cue says who.
func (cl *Classifier) quotedOther(sc *scratch, mods, scope []int32, h *hit, lang string) termKind {
	if sc.text == "" {
		return tkSignal
	}
	// Most messages open no quotation: then no text is read again.
	if sc.quotes == 0 {
		sc.quotes = -1
		if opensQuote(sc.text) {
			sc.quotes = 1
		}
	}
	if sc.quotes < 0 {
		return tkSignal
	}
	q := quoteOpen(sc.text, h.os)
	if q < 0 {
		return tkSignal
	}
	n := &sc.n[h.pass]
	first := int32(-1)
	for _, list := range [2][]int32{mods, scope} {
		for _, j := range list {
			g := &sc.hits[j]
			if g.kind != tkSelf && g.kind != tkThird && g.kind != tkMedia && g.kind != tkHypothetical || g.pass != h.pass || g.oe > q ||
				first >= 0 && g.os >= sc.hits[first].os {
				continue
			}
			if strings.ContainsAny(sc.text[g.oe:q], ".!?\n") {
				continue
			}
			if (g.kind == tkSelf || g.kind == tkThird) && (lang != "" && cl.c.terms[g.term].language != lang || g.kind == tkThird && impersonal(sc, g) ||
				g.kind == tkSelf && possessiveCues[wordAt(sc, g.pass, g.we)] && g.ws == g.we || objectMarkers[prevWord(n.buf, g.ns)]) {
				continue
			}
			first = j
		}
	}
	if first < 0 || sc.hits[first].kind == tkSelf {
		return tkSignal
	}
	return sc.hits[first].kind
}

// impersonalVerbs are the French verbs after which "il" is impersonal.
var impersonalVerbs = map[string]bool{"faut": true, "faudrait": true, "y": true, "suffit": true, "reste": true, "vaut": true,
	"parait": true, "semble": true, "agit": true}

// impersonal reports whether person cue g is the French impersonal "il"
// ("il faut", "il y a").
func impersonal(sc *scratch, g *hit) bool {
	return g.ws == g.we && wordAt(sc, g.pass, g.ws) == "il" && impersonalVerbs[wordAt(sc, g.pass, g.we+1)]
}

// objectBefore and objectAfter are the third-person object pronouns said
// right before (Spanish, French clitics) or right after (English) a verb.
var (
	objectBefore = map[string]map[string]bool{
		"es": {"la": true, "lo": true, "las": true, "los": true},
		"fr": {"la": true, "les": true},
	}
	objectAfter = map[string]map[string]bool{
		"en": {"her": true, "him": true, "them": true},
	}
)

// otherObject reports whether harm hit h, one word long, has a
// third-person object pronoun at its verb.
func otherObject(sc *scratch, h *hit, lang string) bool {
	if h.ws != h.we {
		return false
	}
	before := wordAt(sc, h.pass, h.ws-1)
	// French elides the object before an auxiliary: "l'a menacée" is
	// "l a menacee" once normalised.
	if lang == "fr" && (before == "a" || before == "avait" || before == "ont") && wordAt(sc, h.pass, h.ws-2) == "l" {
		return true
	}
	return objectBefore[lang][before] || objectAfter[lang][wordAt(sc, h.pass, h.we+1)]
}

// tellVerbs are the verbs that pass on what someone else says happened.
var tellVerbs = map[string]map[string]bool{
	"en": {"says": true, "said": true, "told": true, "tells": true},
	"es": {"dice": true, "dijo": true, "conto": true, "cuenta": true, "conta": true},
	"fr": {"dit": true, "raconte": true, "explique": true},
}

// toldBefore reports whether a verb of telling stands before hit h in its
// sentence.
func toldBefore(sc *scratch, h *hit, lang string) bool {
	n := &sc.n[h.pass]
	sent := n.sentenceOf(h.ws)
	for w := h.ws - 1; w >= 0 && n.sentenceOf(w) == sent; w-- {
		if tellVerbs[lang][wordAt(sc, h.pass, w)] {
			return true
		}
	}
	return false
}

// insideOthersSuicide reports whether harm hit h lies within a term of
// someone else's active ideation ("se va a matar", "veut se tuer").
func insideOthersSuicide(cl *Classifier, sc *scratch, h *hit) bool {
	for i := range sc.hits {
		g := &sc.hits[i]
		if g.kind != tkSignal || g.pass != h.pass || g.ws > h.ws || g.we < h.we || g == h {
			continue
		}
		if r := cl.c.terms[g.term].r; r.signal == sigIdeation && r.person == personThird {
			return true
		}
	}
	return false
}
