package lexicon

// Word-level cue classes and the co-occurrence rules over them: the
// structure that catches an unseen phrasing of a known idea. A cue is one
// word or short phrase of a broad class (a means, an acquisition verb, a
// death word, an aggressor's act...); a cue rule fires when one cue of each
// of its slots stands within cueWindow words of the first, in any order,
// and adds synthetic signal hits spanning those cues. The synthetic hits
// then go through the same qualification as lexicon terms (negation right
// before them, past, whom they are about, a story or the news), so "I
// don't want to die" and "my friend bought pills" are held as before.

import (
	"fmt"
	"slices"
	"strings"
)

// cueClass is a class of cue words.
type cueClass uint8

const (
	cueNone        cueClass = iota
	cueDeath                // die, dead, not wake up, stop existing
	cueWish                 // wish, want, rather, envie, ganas
	cueMeans                // any means (the lexicon's named means count too)
	cueAcquire              // bought, got, ordered, compré, acheté
	cueResearch             // looked up, googled, how many, lethal
	cueQuantity             // whole box, all of them (counts of ten or more count too)
	cueAct                  // took, swallowed, cut, jumped: done
	cueJump                 // jump, throw myself: an act on a place
	cueIntent               // going to, decided, ready, voy a, je vais
	cueTime                 // tonight, now (the time and soon modifiers count too)
	cueFarewell             // note, letter, goodbye, carta, lettre
	cueGone                 // for when I'm gone, cuando ya no esté
	cueGiveAway             // gave away, rehomed, sorted the will
	cueThreat               // an aggressor's act: beat, hit me, following me
	cueStrangle             // strangled, choked, apretar el cuello
	cueProximity            // outside, at the door, downstairs, en el portal
	cueWeapon               // knife, gun
	cueChild                // I'm 12, my son of 9
	cueSecret               // don't tell, secret, photos, meet
	cueHomeFear             // don't want to go home, scared to go home
	cueDeadWish             // the lexicon's wish to be dead or suicidal ideation
	cueTonight              // an imminent time frame (the time modifier: \"tonight\")
	cueFinal                // I won't be around, ya no estaré, je serai plus là
	cuePresence             // where one is: I'm on, standing on, estoy en, je suis sur
	cuePlace                // a place where being is the danger: ledge, parapet, railway line
	cueCross                // past the barrier: climbed over, del otro lado, enjambé
	cueBleed                // blood, bleeding, sangre, saigne
	cueUnstoppable          // won't stop, soaked, no para, sans arrêt, dizzy
	cuePoison               // bleach, drain cleaner, lejía, javel, destop
	cueVehicle              // crash the car into, estrellar el coche, foncer dans
	cueNotFault             // a message left for someone: not her fault, no fue culpa suya
	cueConfine              // locked me in, took my phone, me encerró, m'a enfermée
	cueSexual               // touches me, me toca, me touche
	cueDoIt                 // do it, lo hago, je le fais: the act, unnamed
	cueAlone                // when no one is there: is away, se duerman, sera couché
	cueThinking             // thinking about, pienso en, je pense à
	cueHowTo                // how I'd do it, cómo hacerlo, comment le faire
	cueDecided              // decided, ya tomé la decisión, ma décision est prise
	cueRail                 // platform, station, andén, quai
	cueNotBoard             // the train that doesn't stop, not getting on: no me voy a subir
	cuePrepare              // tied, rigged, até, accroché: a means made ready
	cueNotAround            // won't be around to see, no voy a estar para ver
	cueOnPlace              // on the roof, en la azotea, sur le parapet
	cueMishap               // an everyday injury: chopping, nose, pelando, en cuisinant
	cueDay                  // a day or a moment: saturday, el finde, dès que: a time only in a conversation
	cueDone                 // an end said of oneself: then i'm done, se acabó, c'est fini
	cueNotFor               // a purpose denied: not for crafts, no son para afeitarme, pas pour
	cueUnfound              // where no one will find me, donde nadie me encuentre
	cueEnough               // enough, suficientes, assez: a quantity gathered
	cueShops                // several shops: chemists, farmacias, pharmacies
	cueTravel               // on the way to: walking to, voy camino de, je marche vers
	cueAggressor            // who harms: my ex, my husband, mi padrastro, mon copain
	cueAssault              // a blow done: punched me, me pegó, m'a frappée
	cueLeave                // the condition of control: if i leave him, si lo dejo
	cueRecipient            // whom letters are for: each of my kids, para cada uno
	cueOccasion             // an everyday letter: birthday, cover letter, motivation
	cuePersist              // every day, all the time, h24, todos los días
	cueSuicide              // the act named: suicide, suicidarme, en finir
	cueBenign               // an everyday purpose of a means: for the family, para escalar, trousse de secours
	cueStockpile            // gathered over time or hidden: saved up, stash, juntando, mis de côté
	cueRemote               // a place away from people: the woods, el monte, les bois
	cueShout                // someone raging: screaming, gritando, il hurle
	cueExtreme              // the highest, the deepest, más alto, le plus haut
	cueAlready              // already did, ya lo hice, c'est déjà fait: the act done, unnamed
	cueEdge                 // the edge, el borde, le bord: where a height ends
	cueHands                // hands, arm, grip, manos, mains: what strangles
	cueNeck                 // neck, throat, cuello, gorge
	cueFront                // in front of, under, delante de, devant, sous
	cueTraffic              // train, bus, lorry, tren, camión, métro: what runs one over
	cueFumes                // charcoal, exhaust, carbón, tubo de escape, charbon
	cueSeal                 // sealed, tape, hose, sellar, cinta, calfeutrer, tuyau
	cueEnsure               // make sure, asegurarme, faire en sorte
	cueLast                 // the last time, la última vez, la dernière fois
	cueBurden               // deal with me, aguantarme, me supporter: what others bear
	cueEveryone             // everyone, todos, tout le monde
	cueBetter               // better off, happier, más felices, plus heureux
	cueGoneMe               // without me, if i disappeared, sin mí, si je disparaissais
	cueCant                 // can't, no puedo, je peux plus
	cueLiving               // keep living, seguir viviendo, vivre comme ça
	cueAway                 // away for work, de viaje, en déplacement: an everyday absence
	cueKnowWhich            // i know which, ya sé qué, je sais quel: a choice made
	cueNoPoint              // no point, don't see the point: of going on
	cueExistence            // waking up, living, being alive, carrying on
	cueNoBarrier            // no fence, no railings, no net: a height unguarded
	cueHose                 // hosepipe, tubing: what carries fumes
	cueCar                  // the car, the boot, the garage, the engine
	cueCutting              // cut, sliced, slashed: the act of cutting
	cueWound                // deeper than normal, to the bone, not stopping
	cueSchedule             // scheduled to send, set to send at
	cueEndHow               // how i'm going out, how i'll end it: the way of one's end
	cueCovert               // without them knowing, she thinks i'm moving: a goodbye hidden
	cueAdultRole            // my teacher, my coach: an adult with a hold over a child
	cuePlay                 // a pillow, a snowball, by accident: a blow in play
	cueWatched              // don't call back, while i type, rappelez pas: writing in hiding from someone there
	cueResolve              // don't try to talk me out of it, no hay vuelta atrás, changer d'avis: a decision held against others
	cueAnchor               // door handle, banister, la viga, la poutre: where a ligature is fixed
	cueLigature             // rope, belt, cable, cuerda, ceinture: what hangs
	cueSupplyAll            // everything in the cabinet, tout mon traitement: a whole supply of medicine
	cueSymptom              // feeling sleepy, mareada, je me sens bizarre: a body reacting now
	cueAgo                  // 20 mins ago, hace una hora, y a une heure: a short while ago
	cueOnPurpose            // on purpose, a propósito, exprès
	cueSpiked               // spiked my drink, me drogaron, on m'a droguée
	cueJoin                 // join him, reunirme con, rejoindre: going to be with someone
	cueBeyond               // up there, el cielo, là-haut, les étoiles: where the dead are
	cueKnowPlan             // i know where, ya sé cuándo, je sais quand: a plan worked out
	cueEveryTime            // every time, cada vez que, chaque fois que: a thought that recurs
	cueKit                  // the means, todo lo necesario, tout le nécessaire: a means unnamed
	cuePrescribed           // like the doctor said, como me dijo el médico, comme prescrit: a dose taken as told
	cueLost                 // stole my phone, me robaron, on m'a volé: a thing lost or stolen
	cueErrand               // the red dress, un tatuaje, une coupe: an everyday purchase or outing
	cueReport               // posted, wrote on her story, a posté, publicó: someone else's words passed on
	cueJob                  // the hospital pharmacy, my shift, mon service: a means handled at one's work
	cueNoReturn             // not coming back down, me meto andando, jusqu'à plus avoir pied
	cueNeedKnow             // i need to know, necesito saberlo, faut que je sache: asked for oneself
	cueHaveEnough           // ive got enough now, ya tengo de sobra, j'en ai suffisamment: a supply gathered
	cueStranger             // the man from the game, un tipo de 30, le monsieur du jeu: an adult met online
	cueGift                 // gave me skins, le regaló un móvil, m'a offert des v-bucks: gifts that buy a child
	cueInjury               // bruises, moretones, des bleus: marks of a beating
	cueCount                // about 40, una docena, une quarantaine: a count of many (numerals of ten or more too)
	cueHanged               // hanged myself, me colgué, je me suis pendue: a hanging done
	cueTookThem             // taken them, me las tomé, je les ai pris: doses taken, named by a pronoun
	cueOverdid              // went too far, me pasé, j'ai trop appuyé: a cut past what was meant
	cueHowId                // how i'd do it, cómo lo haría, comment je le ferais: the act pictured
	cueLure                 // asking what she's wearing, que borre los mensajes: an adult's lure, with a stranger only
	numCues
)

// cueNames are the YAML keys and the categories cue matches report.
var cueNames = [numCues]string{"", "death", "wish", "means", "acquire", "research", "quantity", "act", "jump", "intent",
	"time", "farewell", "gone", "give_away", "threat", "strangle", "proximity", "weapon", "child", "secret", "home_fear", "dead_wish", "tonight", "final",
	"presence", "place", "cross", "bleed", "unstoppable", "poison", "vehicle", "not_fault", "confine", "sexual", "do_it", "alone", "thinking", "how_to", "decided", "rail", "not_board", "prepare", "not_around", "on_place", "mishap", "day",
	"done", "not_for", "unfound", "enough", "shops", "travel", "aggressor", "assault", "leave", "recipient", "occasion", "persist", "suicide",
	"benign", "stockpile", "remote", "shout", "extreme", "already", "edge", "hands", "neck", "front", "traffic", "fumes", "seal",
	"ensure", "last", "burden", "everyone", "better", "gone_me", "cant", "living", "away", "know_which",
	"no_point", "existence", "no_barrier", "hose", "car", "cutting", "wound", "schedule", "end_how", "covert", "adult_role", "play", "watched", "resolve", "anchor", "ligature", "supply_all", "symptom", "ago", "on_purpose", "spiked",
	"join", "beyond", "know_plan", "every_time", "kit",
	"prescribed", "lost", "errand", "report", "job", "no_return", "need_know", "have_enough", "stranger", "gift", "injury", "count", "hanged", "took_them", "overdid", "how_id", "lure"}

// cueWords is how many 64-bit words a cueSet spans: room for 128 classes,
// so that a new class never evicts an old one. The constant below fails
// to compile when the classes outgrow it.
const cueWords = 2

const _ = uint(cueWords*64 - numCues)

// cueSet is a set of cue classes.
type cueSet [cueWords]uint64

func cs(cls ...cueClass) cueSet {
	var s cueSet
	for _, c := range cls {
		s[c>>6] |= 1 << (c & 63)
	}
	return s
}

// cs1 is cs of one class. cs runs its loop at every call, even with
// constants; cs1 of a constant is a constant. The classifier's hot paths
// use cs1 or a set made once (afterWordClasses, deathWishClasses).
func cs1(c cueClass) cueSet {
	var s cueSet
	s[c>>6] = 1 << (c & 63)
	return s
}

var (
	// afterWordClasses are the classes the words after a cue change
	// (cooccur).
	afterWordClasses = cs(cueIntent, cueDone, cueSuicide, cueCount, cueHowId)
	// deathWishClasses keep an exasperated "I'm done" a wish (exasperation).
	deathWishClasses = cs(cueDeath, cueDeadWish, cueSuicide, cueWish)
)

// or returns the union of s and t.
func (s cueSet) or(t cueSet) cueSet { return cueSet{s[0] | t[0], s[1] | t[1]} }

// and returns the classes both s and t hold.
func (s cueSet) and(t cueSet) cueSet { return cueSet{s[0] & t[0], s[1] & t[1]} }

// minus returns s without the classes of t.
func (s cueSet) minus(t cueSet) cueSet { return cueSet{s[0] &^ t[0], s[1] &^ t[1]} }

// meets reports whether s and t share a class.
func (s cueSet) meets(t cueSet) bool { return s[0]&t[0] != 0 || s[1]&t[1] != 0 }

// empty reports whether s holds no class.
func (s cueSet) empty() bool { return s[0] == 0 && s[1] == 0 }

// cueWindow bounds, in words, how far a rule's cues may stand from the
// first of them.
const cueWindow = 16

// cueOut is one signal a cue rule raises, at the words of the cue that
// filled its anchor slot: negation, the past and whom it is about are
// read there ("I'm NOT going to, I want to die" holds the intent only).
type cueOut struct {
	signal signal
	kind   subKind
	anchor int
}

// cueRule is one co-occurrence rule: a cue of each slot within cueWindow
// words, in any order. A rule with a with set fires only when the
// conversation's recent messages raised one of those signals ("tonight. I
// mean it" after "I want to die").
type cueRule struct {
	name  string
	slots []cueSet
	out   []cueOut
	with  signalSet
	// self: the signals are the writer's whoever the words name ("tell
	// my mum it wasn't her fault" is a message the writer leaves).
	self bool
	// unless: a cue of these classes anywhere in the message holds the
	// rule ("cut my finger chopping onions, it keeps bleeding").
	unless cueSet
	// window, when set, bounds the words between the cues more tightly
	// than cueWindow ("want to $u!c!de", not "want to talk about suicide").
	window int32
	// ordered: a second slot's cue that a first slot's cue already
	// precedes belongs to that one, not to a later one, as a wish
	// precedes what is wished ("quiero morir", "envie de mourir"): "no
	// quiero morirme, QUIERO que deje de dolerme" wishes no death, while
	// "je me vois mort ... j'ai envie de le faire" still does (rules
	// 2026.12.7.53).
	ordered bool
}

// suicidal are the signals after which a conversation reads a bare time,
// means or goodbye as part of a plan.
var suicidal = setOf([]string{SignalWishToBeDead, SignalActiveIdeation, SignalIntent, SignalMethod, SignalPlan})

// cueRules, in order; every rule that fires adds its signals.
var cueRules = []cueRule{
	// "wish I'd never wake up", "ojalá no despertar", "envie de disparaître".
	{name: "wish_death", ordered: true, slots: []cueSet{cs(cueWish), cs(cueDeath)}, out: []cueOut{{sigWish, kindPassive, 0}}},
	// "got a rope in the boot", "compré pastillas", "acheté une corde".
	{name: "means_acquired", slots: []cueSet{cs(cueAcquire), cs(cueMeans)}, out: []cueOut{{sigMethod, kindAcquired, 0}}},
	// "looked up how many of my sertraline", "desde qué altura".
	{name: "means_researched", slots: []cueSet{cs(cueResearch), cs(cueMeans)}, out: []cueOut{{sigMethod, kindResearched, 0}}},
	// "how many it would take to die", "à partir de quel étage on survit pas".
	// "looked up which bridge is the highest".
	{name: "research_death", slots: []cueSet{cs(cueResearch), cs(cueDeath, cueExtreme), cs(cueMeans)},
		out: []cueOut{{sigMethod, kindResearched, 0}, {sigIntent, kindPurpose, 1}}},
	// A means with a wish to be dead: "plus envie d'exister ... doliprane".
	{name: "means_wish_death", ordered: true, slots: []cueSet{cs(cueWish), cs(cueDeath), cs(cueMeans)}, out: []cueOut{{sigMethod, kindNamed, 2}}},
	// Intent next to a wish to be dead or ideation: "I don't want to
	// exist and I'm going to make sure I don't".
	{name: "intent_deadwish", slots: []cueSet{cs(cueIntent), cs(cueDeadWish)}, out: []cueOut{{sigIntent, kindDecided, 0}}},
	// Done: "swallowed the whole strip of lexomil", "me tomé todo".
	{name: "act_means_taken", slots: []cueSet{cs(cueAct), cs(cueMeans), cs(cueQuantity, cueDeath)}, out: []cueOut{{sigRecent, kindTaken, 0}}},
	// "mañana me tiro a las vías", "je saute du pont ce soir".
	{name: "jump_place_intent", slots: []cueSet{cs(cueJump), cs(cueMeans), cs(cueIntent, cueTime)},
		out: []cueOut{{sigMethod, kindNamed, 1}, {sigIntent, kindDecided, 0}}},
	// A letter for when I'm gone.
	{name: "farewell_gone", slots: []cueSet{cs(cueFarewell, cueGiveAway), cs(cueGone)}, out: []cueOut{{sigPrep, kindNote, 0}}},
	// "I won't be around by Friday", "ya no estaré ... dejé cartas".
	// Not when an everyday absence is said ("won't be around on
	// saturday, i'm away for work").
	{name: "final_words", slots: []cueSet{cs(cueFinal), cs(cueTime, cueIntent, cueFarewell, cueGiveAway, cueDeadWish)},
		out: []cueOut{{sigPrep, kindFinal, 0}}, unless: cs(cueAway)},
	// "gonna s*icide tonight": a decision, a death word and a time.
	{name: "intent_death_time", slots: []cueSet{cs(cueIntent), cs(cueDeath), cs(cueTonight)}, out: []cueOut{{sigIntent, kindDecided, 0}}},
	// Affairs put in order: two give-away acts ("sorted the will, rehomed the dog").
	// Not an everyday clear-out ("old clothes to charity, cancelled the gym").
	{name: "affairs", slots: []cueSet{cs(cueGiveAway), cs(cueGiveAway)}, out: []cueOut{{sigPrep, kindAffairs, 0}}, unless: cs(cueOccasion)},
	{name: "strangled", slots: []cueSet{cs(cueStrangle)}, out: []cueOut{{sigHarm, kindStrangulation, 0}}},
	// Is on the edge now: "sat on the ledge of level 6", "estoy en la
	// cornisa", "je suis sur le parapet".
	// Not there for an everyday reason: "je suis au bord de l'eau avec
	// les enfants, on pique-nique" (rules 2026.12.7.27).
	{name: "at_place_now", slots: []cueSet{cs(cuePresence, cueAlone), cs(cuePlace)}, out: []cueOut{{sigRecent, kindAtPlace, 1}, {sigMethod, kindNamed, 1}}, unless: cs(cueBenign)},
	// On a height with no one there: "on the roof of the car park, top
	// floor. nobody about". Being on a roof or a bridge alone says
	// nothing ("I'm on the roof terrace having lunch").
	{name: "height_alone", slots: []cueSet{cs(cueOnPlace), cs(cueAlone)}, out: []cueOut{{sigRecent, kindAtPlace, 0}, {sigMethod, kindNamed, 0}}},
	// Past the barrier of a height: "climbed over the railing", "pasé
	// la valla del puente", "j'ai enjambé la rambarde".
	{name: "past_the_barrier", slots: []cueSet{cs(cueCross), cs(cuePlace, cueOnPlace, cueMeans)}, out: []cueOut{{sigRecent, kindAtPlace, 0}, {sigMethod, kindNamed, 1}}},
	// Bleeding that won't stop, not from an everyday injury: "the blood
	// won't stop", "no para de salir sangre", "ça saigne sans arrêt".
	{name: "bleeding", slots: []cueSet{cs(cueBleed), cs(cueUnstoppable, cueQuantity)}, out: []cueOut{{sigRecent, kindCut, 0}}, unless: cs(cueMishap)},
	// A poison swallowed: "drank bleach", "me bebí la lejía", "avalé du destop".
	{name: "poison_taken", slots: []cueSet{cs(cueAct), cs(cuePoison)}, out: []cueOut{{sigRecent, kindTaken, 0}, {sigMethod, kindNamed, 1}}},
	// A crash as the means, with intent: "going to drive into the wall".
	// Thinking of it at the wheel likewise: "je roule sur l'autoroute là,
	// je pense à donner un coup de volant sous le prochain camion" (rules
	// 2026.12.7.29).
	{name: "vehicle_intent", slots: []cueSet{cs(cueVehicle), cs(cueIntent, cueTime, cueDeadWish, cueThinking)},
		out: []cueOut{{sigMethod, kindNamed, 0}, {sigIntent, kindDecided, 1}}},
	// A goodbye with a wish to be dead: "ojalá me muera, dejé cartas".
	{name: "farewell_deadwish", slots: []cueSet{cs(cueFarewell, cueGiveAway, cueNotFault), cs(cueDeadWish)}, out: []cueOut{{sigPrep, kindFarewell, 0}}, self: true},
	// A means made ready with a second act or a death: "tied something
	// to the loft hatch and stood on the chair".
	{name: "means_prepared", slots: []cueSet{cs(cuePrepare), cs(cueMeans), cs(cuePrepare, cueDeath, cueDeadWish)}, out: []cueOut{{sigMethod, kindPrepared, 1}}, unless: cs(cueMishap)},
	// A message left for someone: "tell her it wasn't her fault"; a
	// crisis with a wish to be dead or after ideation.
	{name: "not_their_fault", slots: []cueSet{cs(cueNotFault)}, out: []cueOut{{sigPrep, kindFarewell, 0}}, self: true},
	// The decision and the act named: "c'est décidé, je me tue", "made
	// up my mind, I won't be here", "decided: the level crossing".
	{name: "decided_act", slots: []cueSet{cs(cueDecided), cs(cueDeath, cueFinal, cueDeadWish, cuePlace, cueOnPlace, cueJump, cueVehicle, cueSuicide)},
		out: []cueOut{{sigIntent, kindDecided, 0}, {sigIdeation, kindSuicidal, 1}}},
	// The decision, an end and a day: "i've decided. i'm done. sunday's
	// the day", "ya lo he decidido, el domingo se acaba todo".
	{name: "decided_end_day", slots: []cueSet{cs(cueDecided), cs(cueDone, cueSuicide), cs(cueDay, cueTime, cueTonight)},
		out: []cueOut{{sigIntent, kindDecided, 0}, {sigPlan, kindWhen, 2}}, unless: cs(cueOccasion, cueErrand)},
	// Someone's hands on the neck: "his hands round my throat", "me
	// apretó el cuello con las manos", "ses mains sur mon cou" (the hands
	// are someone's: "my throat is sore and my hands cold" says nothing).
	{name: "hands_on_neck", slots: []cueSet{cs(cueHands), cs(cueNeck)}, out: []cueOut{{sigHarm, kindStrangulation, 1}}, window: 4},
	// On the edge of a height now: "standing at the edge of the multi
	// storey", "sentada en el borde del puente", "assise sur le bord du pont".
	{name: "at_edge_now", slots: []cueSet{cs(cuePresence), cs(cueEdge), cs(cueOnPlace, cuePlace)},
		out: []cueOut{{sigRecent, kindAtPlace, 1}, {sigMethod, kindNamed, 2}}, unless: cs(cueBenign, cueOccasion)},
	// In front of what runs one over, with a leap or a wish: "jumping in
	// front of the 6:40 train", "tirarme delante del metro", "me jeter
	// sous le métro" (not "waiting in front of the bus stop").
	// Thinking of it, wishing it or leaping is ideation with a method.
	{name: "under_traffic", slots: []cueSet{cs(cueFront), cs(cueTraffic), cs(cueJump, cueIntent, cueDeadWish, cueDeath, cueThinking, cueTonight, cueDecided, cueWish)},
		out: []cueOut{{sigMethod, kindNamed, 1}, {sigIdeation, kindSuicidal, 2}}, window: 4},
	// Fumes in a sealed space: "a hose for the exhaust", "carbón y cinta
	// para sellar el coche", "du charbon et j'ai calfeutré la salle de
	// bain" (not charcoal and tape for the barbecue).
	{name: "fumes_sealed", slots: []cueSet{cs(cueFumes), cs(cueSeal)}, out: []cueOut{{sigMethod, kindPrepared, 0}}, unless: cs(cueBenign, cueOccasion, cueMishap)},
	// Making sure of one's death: "i'm going to make sure i don't wake
	// up tomorrow", "me voy a asegurar de no despertar", "je vais faire
	// en sorte de ne pas me réveiller".
	{name: "ensure_death", slots: []cueSet{cs(cueEnsure), cs(cueDeath)}, out: []cueOut{{sigIntent, kindDecided, 0}, {sigWish, kindPassive, 1}}, window: 6},
	// The last time anyone bears one: "tonight's the last night anyone
	// has to deal with me", "la última vez que alguien tendrá que
	// aguantarme" (not the last time at a job or a club).
	{name: "last_burden", slots: []cueSet{cs(cueLast), cs(cueBurden)}, out: []cueOut{{sigPrep, kindFinal, 0}, {sigWish, kindBurden, 1}},
		unless: cs(cueOccasion)},
	// Everyone better off without one: "everyone would be happier if i
	// disappeared", "todos serían más felices sin mí".
	{name: "better_without_me", slots: []cueSet{cs(cueEveryone), cs(cueBetter), cs(cueGoneMe)}, out: []cueOut{{sigWish, kindBurden, 2}}},
	// Unable to go on living: "i can't keep living like this", "no puedo
	// seguir viviendo así", "je peux plus vivre comme ça".
	{name: "cant_go_on_living", slots: []cueSet{cs(cueCant), cs(cueLiving)}, out: []cueOut{{sigWish, kindHopeless, 0}}, window: 3},
	// The act at a place away from people: "gonna do it at the quarry
	// after dark", "lo voy a hacer en la cantera", "je vais le faire à la
	// carrière".
	{name: "act_remote", slots: []cueSet{cs(cueDoIt), cs(cueRemote, cueUnfound)}, out: []cueOut{{sigPlan, kindWhere, 1}, {sigIntent, kindDecided, 0}},
		unless: cs(cueBenign, cueOccasion)},
	// A means and the place chosen: "i have the tablets and i know which
	// bridge", "tengo las pastillas y ya sé qué puente".
	{name: "means_place_chosen", slots: []cueSet{cs(cueKnowWhich), cs(cueMeans, cueOnPlace, cuePlace), cs(cueMeans)},
		out: []cueOut{{sigPlan, kindWhere, 1}, {sigMethod, kindNamed, 2}}, unless: cs(cueBenign, cueOccasion)},
	// No point in going on: "i don't see the point in waking up
	// anymore", "what's the point of carrying on" (a wish to be dead:
	// a named means beside it is a method with a purpose).
	{name: "no_point_existing", slots: []cueSet{cs(cueNoPoint), cs(cueExistence)}, out: []cueOut{{sigWish, kindPassive, 1}}, window: 5},
	// The decision and how: "i've chosen how i'm going out", "decided
	// how i'll do it" is a plan and an intent.
	{name: "decided_how", slots: []cueSet{cs(cueDecided), cs(cueEndHow)}, out: []cueOut{{sigIntent, kindDecided, 0}, {sigPlan, kindHow, 1}},
		unless: cs(cueOccasion, cueBenign), window: 8},
	// Goodbyes timed to go out: "my last messages are scheduled to send
	// at midnight".
	{name: "farewell_scheduled", slots: []cueSet{cs(cueFarewell), cs(cueSchedule)}, out: []cueOut{{sigPrep, kindFinal, 0}}, unless: cs(cueOccasion)},
	// A height looked at for having no barrier: "the bridge on the a
	// road, it's high enough and there's no fence".
	{name: "height_unguarded", slots: []cueSet{cs(cueMeans, cueOnPlace, cuePlace), cs(cueNoBarrier), cs(cueResearch, cueDeath, cueDeadWish, cueExtreme)},
		out: []cueOut{{sigMethod, kindResearched, 0}, {sigPlan, kindWhere, 0}}, unless: cs(cueBenign, cueOccasion)},
	// A hose for a car's fumes, with a seal or an end: "a hosepipe and
	// tape in the car boot".
	{name: "hose_car", slots: []cueSet{cs(cueHose), cs(cueCar, cueFumes), cs(cueSeal, cueDeath, cueDeadWish, cueDone, cueTonight)},
		out: []cueOut{{sigMethod, kindPrepared, 0}}, unless: cs(cueBenign, cueOccasion, cueMishap)},
	// A cut past the usual: "cut way deeper than normal and it's not
	// stopping" (not a finger while cooking).
	{name: "cut_wound", slots: []cueSet{cs(cueCutting), cs(cueWound)}, out: []cueOut{{sigRecent, kindCut, 0}}, unless: cs(cueMishap), window: 8},
	// An adult with a hold over a child, in secret: "my teacher keeps
	// messaging me on snapchat late at night and asked me to delete them".
	// A phone stolen or lost with a child's photos on it is a theft, no
	// secret kept with a child: "me robaron el celular y ahora no tengo ni
	// las fotos de mi hijo" (rules 2026.12.7.24).
	{name: "adult_secret", slots: []cueSet{cs(cueAdultRole), cs(cueSecret), cs(cueSecret)}, out: []cueOut{{sigHarm, kindGrooming, 1}}, unless: cs(cueLost)},
	// Goodbyes or things given away while hiding why: "saying goodbye
	// to people all week without them knowing", "she can have my car,
	// she thinks i'm moving abroad".
	{name: "covert_farewell", slots: []cueSet{cs(cueFarewell, cueGiveAway), cs(cueCovert)}, out: []cueOut{{sigPrep, kindFinal, 0}},
		unless: cs(cueOccasion), self: true},
	// Someone's threat or blow with tonight: "my brother said he'll
	// batter me tonight" is imminent harm.
	{name: "harm_tonight", slots: []cueSet{cs(cueThreat, cueAssault), cs(cueTonight), cs(cueAggressor)},
		out: []cueOut{{sigHarm, kindThreat, 0}, {sigHarm, kindProximity, 1}}, unless: cs(cueOccasion)},
	// Held by someone: "he locked me in and took my phone".
	{name: "confined", slots: []cueSet{cs(cueConfine)}, out: []cueOut{{sigHarm, kindThreat, 0}, {sigHarm, kindProximity, 0}}},
	{name: "sexual_touch", slots: []cueSet{cs(cueSexual)}, out: []cueOut{{sigHarm, kindSexualAbuse, 0}}},
	// Drugged by someone: "i think my flatmate put something in my
	// drink", "me echaron algo en la bebida", "on m'a droguée à la
	// soirée" is an assault, and fear (rules 2026.12.7.21).
	{name: "spiked", slots: []cueSet{cs(cueSpiked)}, out: []cueOut{{sigHarm, kindThreat, 0}, {sigHarm, kindFear, 0}}},
	// The act when no one is there, with a death in the message: "I'll
	// do it when the house is empty, I want to die".
	{name: "act_when_alone", slots: []cueSet{cs(cueDoIt), cs(cueAlone), cs(cueDeath, cueDeadWish)}, out: []cueOut{{sigPlan, kindWhen, 0}, {sigIntent, kindDecided, 0}}},
	// A means fixed where a ligature hangs, made ready or with someone
	// sitting by it: "ive got the belt round the door handle already.
	// just sitting here", "tengo la cuerda puesta en la viga", "la
	// ceinture est accrochée à la poignée de porte" (not a rope swing
	// tied to a beam) (rules 2026.12.7.19).
	{name: "means_anchored", slots: []cueSet{cs(cueLigature), cs(cueAnchor), cs(cuePrepare, cuePresence, cueDeadWish, cueDeath, cueTonight, cueAlone, cueAlready)},
		out: []cueOut{{sigMethod, kindPrepared, 0}}, unless: cs(cueBenign, cueOccasion, cueMishap)},
	// A whole supply taken a short while ago or with the body reacting:
	// "took everything in the cabinet about 20 mins ago", "j'ai pris
	// tout mon traitement du mois d'un coup y a une heure" (not "took all
	// the kids to the park an hour ago": a supply of medicine) (rules
	// 2026.12.7.20).
	{name: "supply_taken_now", slots: []cueSet{cs(cueAct), cs(cueSupplyAll), cs(cueAgo, cueSymptom)}, out: []cueOut{{sigRecent, kindTaken, 0}, {sigMethod, kindNamed, 1}},
		unless: cs(cueBenign)},
	// A means taken on purpose: "me pasé con las pastillas a propósito",
	// "i took too many of my pills on purpose" (rules 2026.12.7.20).
	{name: "taken_on_purpose", slots: []cueSet{cs(cueAct), cs(cueMeans, cueSupplyAll), cs(cueOnPurpose)}, out: []cueOut{{sigRecent, kindTaken, 0}},
		unless: cs(cueBenign, cueMishap)},
	// Writing in hiding from someone there: "hes standing over me while
	// I type this. please dont call back", "il est derrière moi pendant
	// que j'écris. rappelez pas" is someone dangerous close by, and fear
	// (rules 2026.12.7.16).
	// One sign alone ("dont call back, im in a meeting") says nothing.
	{name: "watched_writing", slots: []cueSet{cs(cueWatched), cs(cueWatched, cueProximity, cueThreat, cueShout, cueAssault)},
		out: []cueOut{{sigHarm, kindProximity, 1}, {sigHarm, kindFear, 0}}},
	// A decision held against being talked out of it, with a day or the
	// act: "its decided. sunday. please dont try to talk me out of it",
	// "el sabado es el dia. ya no hay vuelta atras", "ce sera dimanche.
	// essayez pas de me faire changer d'avis" (rules 2026.12.7.16). Not a
	// purchase or an outing decided ("don't try to talk me out of it,
	// I'm buying the red dress on friday", "me hago el tatuaje el sábado")
	// (rules 2026.12.7.24).
	{name: "resolve_held", slots: []cueSet{cs(cueResolve), cs(cueDay, cueTonight, cueTime, cueDoIt, cueDecided, cueIntent)},
		out: []cueOut{{sigIntent, kindDecided, 1}}, unless: cs(cueOccasion, cueBenign, cueErrand)},
	// The act unnamed or a decision, and an end said of oneself: "i'm
	// going to do it. i'm done", "je vais le faire. c'est fini pour moi"
	// is an intent with its purpose (rules 2026.12.7.14).
	{name: "doit_done", slots: []cueSet{cs(cueDoIt, cueDecided), cs(cueDone)}, out: []cueOut{{sigIntent, kindDecided, 0}, {sigWish, kindHopeless, 1}},
		unless: cs(cueOccasion, cueBenign), window: 8},
	// Thinking of doing it, with a death in the message: "wishing I
	// won't wake up and lately thinking of doing it myself"; thinking out
	// how, likewise.
	// A wish to be dead, a moment and nobody there: "i just want it all
	// to stop. tomorrow morning when everyone leaves for work", "no
	// quiero seguir viviendo. esta noche cuando mi madre se duerma",
	// "j'ai envie que tout s'arrête. demain matin quand ils seront partis
	// au boulot" is a time worked out, a plan. Two time words, so that a
	// day alone ("i'm at work today") is no moment chosen; no everyday
	// purpose holds it (the work is where the others go) (rules
	// 2026.12.7.22).
	{name: "wish_when_alone", slots: []cueSet{cs(cueDeadWish), cs(cueAlone), cs(cueDay, cueTime, cueTonight), cs(cueDay, cueTime, cueTonight)},
		out: []cueOut{{sigPlan, kindWhen, 0}}},
	// A wish to be dead with an end said soon: "cansada de vivir. pronto
	// se acaba", "tired of living. it'll be over soon", "marre de vivre,
	// ce sera fini demain" is an intent (rules 2026.12.7.22).
	{name: "wish_end_soon", slots: []cueSet{cs(cueDeadWish), cs(cueDone), cs(cueTime, cueTonight, cueDay)},
		out: []cueOut{{sigIntent, kindDecided, 0}}, unless: cs(cueOccasion, cueBenign)},
	// Joining the dead: "je vais partir retrouver maman là-haut", "ready
	// to join him, he's been gone 4 years", "reunirme con mi madre en el
	// cielo" is a wish to be dead; with a decision or "going to", an
	// intent (rules 2026.12.7.22).
	{name: "join_dead", slots: []cueSet{cs(cueJoin), cs(cueBeyond)}, out: []cueOut{{sigWish, kindPassive, 0}},
		unless: cs(cueOccasion, cueBenign), window: 8},
	{name: "join_dead_intent", slots: []cueSet{cs(cueJoin), cs(cueBeyond), cs(cueIntent, cueDecided)}, out: []cueOut{{sigIntent, kindDecided, 0}},
		unless: cs(cueOccasion, cueBenign), window: 8},
	// Where and when known, with a place or a day: "i know where, the old
	// quarry. i know when, after my shift friday", "je sais où, la
	// carrière. je sais quand, vendredi" is a plan and an intent; "i know
	// how you feel, i know where you're coming from" names no place or
	// day (rules 2026.12.7.22).
	{name: "plan_known", slots: []cueSet{cs(cueKnowPlan), cs(cueKnowPlan),
		cs(cueRemote, cuePlace, cueOnPlace, cueMeans, cueRail, cueDay, cueTonight, cueDeadWish, cueDeath, cueSuicide)},
		out: []cueOut{{sigPlan, kindHow, 0}, {sigIntent, kindDecided, 1}}, unless: cs(cueOccasion, cueBenign)},
	// A leap pictured again and again at a place it could be done: "cada
	// vez que paso por las vías me imagino tirándome", "chaque fois que
	// je passe sur le pont je m'imagine sauter" is ideation with its
	// method (rules 2026.12.7.22).
	{name: "jump_thought_recurring", slots: []cueSet{cs(cueThinking), cs(cueJump), cs(cuePersist, cueEveryTime),
		cs(cueMeans, cueRail, cueOnPlace, cuePlace, cueTraffic)},
		out: []cueOut{{sigIdeation, kindSuicidal, 1}, {sigMethod, kindNamed, 3}}, unless: cs(cueOccasion, cueBenign)},
	// A means unnamed, with a wish to be dead: "everyone would be better
	// off without me and ive got the means now", "je veux plus vivre.
	// j'ai tout le nécessaire" is a method with its purpose; after
	// ideation it is the method too (means_in_conversation). Alone ("ive
	// got everything i need for the trip") it says nothing (rules
	// 2026.12.7.23).
	{name: "kit_deadwish", slots: []cueSet{cs(cueKit), cs(cueDeadWish, cueSuicide)}, out: []cueOut{{sigMethod, kindNamed, 0}},
		unless: cs(cueOccasion, cueBenign)},
	// A place where being is the danger, a moment and nobody there:
	// "tomorrow 6am, the level crossing by the farm. nobody walks there
	// that early" is a plan (rules 2026.12.7.25).
	{name: "place_unfound_time", slots: []cueSet{cs(cuePlace), cs(cueUnfound), cs(cueTime, cueTonight, cueDay)},
		out: []cueOut{{sigPlan, kindWhere, 0}, {sigMethod, kindNamed, 0}}, unless: cs(cueOccasion, cueBenign, cueMishap)},
	// Going to a dangerous place not to come back: "im going up to the
	// cliffs at the point and im not coming back down", "voy al pantano y
	// me meto andando", "ce soir je marche dans la mer jusqu'à plus avoir
	// pied. je sais pas nager" is an intent and a place (rules
	// 2026.12.7.25). The words take no "until" ("not coming back till
	// late" is no such words); swimming named is no everyday purpose here
	// (not being able to swim is part of it).
	{name: "no_return", slots: []cueSet{cs(cueNoReturn), cs(cueRemote, cueOnPlace, cuePlace, cueMeans, cueJump)},
		out: []cueOut{{sigIntent, kindDecided, 0}, {sigPlan, kindWhere, 1}}, unless: cs(cueOccasion)},
	// Whether a height or an amount is enough, asked for oneself: "is
	// jumping from the 6th floor enough. i need to know", "est ce que 7
	// étages ça suffit. faut que je sache" is research with its purpose,
	// read at the means, so that everyday medicine holds both ("is 2
	// paracetamol enough for a fever? asking for me") (rules 2026.12.7.25).
	{name: "research_for_me", slots: []cueSet{cs(cueNeedKnow), cs(cueResearch, cueEnough), cs(cueMeans, cueJump)},
		out: []cueOut{{sigMethod, kindResearched, 2}, {sigIntent, kindPurpose, 2}}, unless: cs(cueOccasion, cueBenign)},
	// Enough of a means gathered, with a wish to be dead: "la salida más
	// fácil para todos. ya tengo de sobra" is a method with its purpose
	// (rules 2026.12.7.25).
	{name: "enough_deadwish", slots: []cueSet{cs(cueHaveEnough), cs(cueDeadWish)}, out: []cueOut{{sigMethod, kindAcquired, 0}},
		unless: cs(cueOccasion, cueBenign)},
	// How one would do it, pictured again and again: "thinking about how
	// id do it every single night", "cada noche pienso cómo lo haría",
	// "je pense tous les soirs à comment je le ferais" is ideation (rules
	// 2026.12.7.30).
	{name: "how_id_persistent", slots: []cueSet{cs(cueHowId), cs(cuePersist, cueEveryTime)}, out: []cueOut{{sigIdeation, kindSuicidal, 0}},
		unless: cs(cueOccasion, cueBenign)},
	{name: "thinking_doit_deadwish", slots: []cueSet{cs(cueThinking), cs(cueDoIt, cueHowTo), cs(cueDeadWish, cueDeath)}, out: []cueOut{{sigIdeation, kindSuicidal, 1}}},
	// At the station for the train one won't board: "platform 2, waiting
	// for the fast one", "no me voy a subir precisamente".
	{name: "rail_not_boarding", slots: []cueSet{cs(cueRail), cs(cueNotBoard)}, out: []cueOut{{sigRecent, kindAtPlace, 0}, {sigMethod, kindNamed, 0}}},
	// "he's outside and trying the door", "mi ex está en el portal".
	{name: "threat_proximity", slots: []cueSet{cs(cueThreat), cs(cueProximity)},
		out: []cueOut{{sigHarm, kindThreat, 0}, {sigHarm, kindProximity, 1}}},
	{name: "threat_weapon", slots: []cueSet{cs(cueThreat), cs(cueWeapon)}, out: []cueOut{{sigHarm, kindThreat, 0}, {sigHarm, kindWeapon, 1}}},
	// "I'm 12 and a man says not to tell anyone".
	// Not a phone stolen or lost with the photos of one's child on it.
	{name: "child_secret", slots: []cueSet{cs(cueChild), cs(cueSecret)}, out: []cueOut{{sigHarm, kindGrooming, 1}}, unless: cs(cueLost)},
	// An adult met online with gifts or secrecy: "the man from the game
	// gave me skins", "un tipo de 30 que conoció en tiktok ... le mandó
	// dinero", "le monsieur du jeu m'a offert des v-bucks" (rules
	// 2026.12.7.26; no occasion holds it, rules 2026.12.7.27: "the
	// game" and "school" are occasions elsewhere).
	// Asking a child what she wears or to delete his messages is a lure
	// from a stranger only: "a grown man is telling her to delete his
	// messages and asking what shes wearing" (not her boyfriend of her
	// age) (rules 2026.12.7.32).
	{name: "stranger_lure", slots: []cueSet{cs(cueStranger), cs(cueGift, cueSecret, cueLure)}, out: []cueOut{{sigHarm, kindGrooming, 0}}},
	// With a child and a moment: "mi sobrina de 13 se va a escapar esta
	// noche con un tipo de 30 que conoció en tiktok".
	{name: "stranger_child_soon", slots: []cueSet{cs(cueStranger), cs(cueChild), cs(cueTonight, cueDay, cueSecret, cueGift)}, out: []cueOut{{sigHarm, kindGrooming, 0}}},
	// Afraid to go home with the marks of a beating: "last time i couldnt
	// go to school for the bruises. i dont want to go home" (the threat
	// said as "he's going to kill me when he gets home" is an idiom
	// elsewhere) (rules 2026.12.7.26).
	{name: "home_injury", slots: []cueSet{cs(cueHomeFear), cs(cueInjury)}, out: []cueOut{{sigHarm, kindChildAfraidHome, 0}}, unless: cs(cueMishap, cuePlay)},
	// Doses taken, named by a pronoun, with how many: "Ive already taken
	// them. about 40", "c'est fait je les ai pris. une quarantaine" (not
	// a count of minutes, pages or pounds) (rules 2026.12.7.27).
	{name: "already_count", slots: []cueSet{cs(cueTookThem), cs(cueCount)}, out: []cueOut{{sigRecent, kindTaken, 0}}, window: 8},
	// A hanging done with what hangs: "me colgué con una sábana y se
	// rompió" (not "me colgué" of a phone call, nor "je me suis pendue
	// au cou de ma sœur", a hug) (rules 2026.12.7.27).
	{name: "hanged_ligature", slots: []cueSet{cs(cueHanged), cs(cueLigature)}, out: []cueOut{{sigRecent, kindTried, 0}}, window: 10},
	// On a height over traffic, watching it: "on the footbridge over the
	// m62 watching the lorries go under" (rules 2026.12.7.27).
	{name: "over_traffic", slots: []cueSet{cs(cueOnPlace), cs(cueTraffic), cs(cuePresence)}, out: []cueOut{{sigRecent, kindAtPlace, 0}, {sigMethod, kindNamed, 0}},
		unless: cs(cueBenign, cueOccasion), window: 8},
	// A weapon or a ligature with a moment nobody will be there: "when
	// the house is empty on friday im going to use dads shotgun",
	// "vendredi quand la maison sera vide je prends le fusil de mon
	// père" is a plan (rules 2026.12.7.27).
	{name: "means_when_alone", slots: []cueSet{cs(cueWeapon, cueLigature), cs(cueAlone), cs(cueDay, cueTonight, cueIntent)},
		out: []cueOut{{sigPlan, kindWhen, 1}, {sigMethod, kindNamed, 0}}, unless: cs(cueBenign, cueOccasion, cueMishap)},
	// A cut past what was meant that won't stop, after a blade or
	// ideation in the conversation: "esta vez me pasé, no para" after
	// "tengo las cuchillas del sacapuntas", "là j'ai trop appuyé, ça
	// s'arrête pas" after "j'ai pris le cutter" (rules 2026.12.7.29).
	{name: "overdid_bleeding", slots: []cueSet{cs(cueOverdid), cs(cueUnstoppable, cueBleed)}, out: []cueOut{{sigRecent, kindCut, 0}},
		with: suicidal, unless: cs(cueMishap), window: 6},
	// A ligature looked up, with the thought there all the time: "je regarde
	// des vidéos sur comment faire un noeud coulant depuis hier soir. je
	// pense qu'à ça" is ideation with its method, not train times looked
	// up every day (rules 2026.12.7.29).
	{name: "research_persist", slots: []cueSet{cs(cueResearch, cueHowTo), cs(cueLigature), cs(cuePersist)},
		out: []cueOut{{sigMethod, kindResearched, 1}, {sigIdeation, kindSuicidal, 2}}, unless: cs(cueBenign, cueOccasion, cueMishap)},
	// "don't want to go home, dad said he'd beat me".
	{name: "child_afraid_home", slots: []cueSet{cs(cueHomeFear), cs(cueThreat)}, out: []cueOut{{sigHarm, kindChildAfraidHome, 0}}},
	// A means acquired or at hand with what it is for: "ordered a rope,
	// it comes tomorrow and then I'm done", "compré cuchillas y no son
	// para afeitarme", "j'ai les médocs, je pars là où personne me
	// trouvera". Ordinary errands ("picked up paracetamol for my son")
	// name no such purpose.
	// "Enough" alone is a supply ("enough for the month"): it counts
	// with several shops (shops_enough) or after ideation.
	{name: "means_acquired_purpose", slots: []cueSet{cs(cueAcquire), cs(cueMeans), cs(cueDone, cueNotFor, cueUnfound, cueDeath, cueDeadWish, cueFinal, cueDecided, cueSuicide)},
		out: []cueOut{{sigMethod, kindAcquired, 1}, {sigIntent, kindPurpose, 1}}, unless: cs(cueBenign)},
	// A means gathered over time or hidden: "a whole stash of my mum's
	// oxy saved up", "buying paracetamol a pack at a time so nobody
	// notices", "llevo un mes juntando pastillas".
	{name: "stockpiled", slots: []cueSet{cs(cueStockpile), cs(cueMeans)}, out: []cueOut{{sigPrep, kindStockpiling, 0}, {sigMethod, kindAcquired, 1}}, unless: cs(cueBenign)},
	// A means taken to a place away from people, soon: "taking the rope
	// to the woods tonight", "je prends la corde et je vais dans les bois".
	{name: "means_remote", slots: []cueSet{cs(cueMeans), cs(cueRemote), cs(cueTonight, cueTravel, cueUnfound, cueAlone, cueDeadWish, cueDeath, cueDone)},
		out: []cueOut{{sigPlan, kindWhere, 0}, {sigMethod, kindNamed, 0}}, unless: cs(cueBenign)},
	// A means of the cue classes with a wish to be dead or ideation in
	// another clause: "id be better off gone, im sat on the wall at the
	// top of the multistorey", "no quiero seguir viva, estoy en el andén
	// esperando el tren" is a method with its purpose, as a named means of
	// the lexicon's entries already was ("i want to die. i have a rope").
	// Read at the means, so that a means someone else holds ("mi papá
	// tiene una escopeta"), one denied or past, or everyday medicine is
	// held as before (rules 2026.12.7.36).
	{name: "means_deadwish", slots: []cueSet{cs(cueDeadWish), cs(cueMeans, cueWeapon, cueFumes, cueLigature, cuePoison)}, out: []cueOut{{sigMethod, kindNamed, 0}},
		unless: cs(cueBenign, cueOccasion, cuePrescribed, cueMishap)},
	// "i want to $u!c!de": a wish right next to the act named.
	{name: "wish_suicide", ordered: true, slots: []cueSet{cs(cueWish), cs(cueSuicide)}, out: []cueOut{{sigIdeation, kindSuicidal, 1}}, window: 2},
	// A means with an end said: "back from the chemist with 4 packs, this
	// is my last night", "c'est ma dernière nuit" (not a last night on
	// holiday with a bottle of wine).
	{name: "means_final", slots: []cueSet{cs(cueMeans), cs(cueFinal, cueDone)}, out: []cueOut{{sigMethod, kindNamed, 0}, {sigPrep, kindFinal, 1}},
		unless: cs(cueBenign, cueOccasion)},
	// Several shops to have enough: "went to 3 chemists so I'd have enough".
	{name: "shops_enough", slots: []cueSet{cs(cueShops), cs(cueEnough, cueQuantity)}, out: []cueOut{{sigPrep, kindStockpiling, 0}}, unless: cs(cueBenign)},
	// On the way to a place with a means: "walking to the reservoir with
	// the tablets", "voy camino del puente con mis pastillas".
	{name: "means_travel", slots: []cueSet{cs(cueTravel), cs(cueMeans), cs(cueMeans, cueRemote, cueUnfound, cueAlone, cueTonight, cueDone)},
		out: []cueOut{{sigPlan, kindWhere, 1}, {sigMethod, kindNamed, 1}}, unless: cs(cueBenign)},
	// Someone armed close by: "my ex is at the window with a bat", "mi
	// padrastro está abajo con la escopeta".
	{name: "armed_near", slots: []cueSet{cs(cueAggressor, cueThreat, cueShout), cs(cueWeapon), cs(cueProximity)},
		out: []cueOut{{sigHarm, kindThreat, 0}, {sigHarm, kindWeapon, 1}, {sigHarm, kindProximity, 2}}, unless: cs(cueMishap, cueBenign)},
	// Someone raging close by: "mi padre acaba de llegar y viene gritando",
	// not "shouting at the football on tv".
	{name: "shout_near", slots: []cueSet{cs(cueShout), cs(cueProximity), cs(cueAggressor)},
		out: []cueOut{{sigHarm, kindThreat, 0}, {sigHarm, kindProximity, 1}}, unless: cs(cueOccasion)},
	// A blow from a partner or a parent: "my boyfriend punched me", "mi
	// novio me ha vuelto a pegar", "mon copain m'a frappée".
	{name: "aggressor_assault", slots: []cueSet{cs(cueAggressor), cs(cueAssault)}, out: []cueOut{{sigHarm, kindPartnerViolence, 1}}},
	// Two acts of violence: "pushed me down the stairs and took my phone".
	{name: "assault_acts", slots: []cueSet{cs(cueAssault), cs(cueAssault, cueThreat, cueConfine)}, out: []cueOut{{sigHarm, kindPartnerViolence, 0}}},
	// A threat to keep one from leaving: "he'll kill me if I leave him".
	{name: "threat_leave", slots: []cueSet{cs(cueThreat), cs(cueLeave)}, out: []cueOut{{sigHarm, kindPartnerViolence, 0}}},
	// Letters for each of one's people: "wrote a letter for each of my
	// kids", "una carta para cada uno" (not a birthday card or a cover
	// letter).
	{name: "letters_for_each", slots: []cueSet{cs(cueFarewell), cs(cueRecipient)}, out: []cueOut{{sigPrep, kindNote, 0}}, unless: cs(cueOccasion)},
	// Suicide in one's thoughts every day: "je pense au suicide tous les
	// jours", "s u i c i d e keeps going round my head".
	{name: "suicide_persistent", slots: []cueSet{cs(cueSuicide), cs(cuePersist)}, out: []cueOut{{sigIdeation, kindSuicidal, 0}}},
	// With the conversation: after ideation, a time or a decision is an
	// intent, a means is a method, a goodbye is a preparatory act; after
	// harm, someone close by or an aggressor's act is harm again.
	// After ideation the words are the writer's whomever they name
	// ("they're all out on the table now": the pills).
	{name: "intent_in_conversation", slots: []cueSet{cs(cueIntent, cueTonight, cueTime, cueDay, cueDoIt, cueAlone, cueDecided, cuePresence, cueDone, cueFinal)}, out: []cueOut{{sigIntent, kindDecided, 0}}, with: suicidal, self: true},
	// After ideation, a means at hand, made ready, gathered or taken
	// somewhere is the method: "already drew it up, just sitting here with
	// it", "con esto ya tengo suficiente", "parked at the top now".
	{name: "means_in_conversation", slots: []cueSet{cs(cueMeans, cueKit, cueJump, cueAct, cuePlace, cueOnPlace, cueRail, cueHowTo, cueBleed,
		cueAcquire, cuePrepare, cueCross, cueRemote, cueTravel, cueEnough, cueStockpile, cueUnstoppable)}, out: []cueOut{{sigMethod, kindNamed, 0}}, with: suicidal, self: true},
	// The act done, after ideation or a means: "already did, about 20
	// mins ago", "ya lo hice", "c'est déjà fait".
	{name: "done_in_conversation", slots: []cueSet{cs(cueAlready)}, out: []cueOut{{sigRecent, kindTaken, 0}}, with: suicidal, self: true},
	// A goodbye after ideation is the writer's, whomever it names ("sent
	// my mum a message saying sorry for everything").
	{name: "farewell_in_conversation", slots: []cueSet{cs(cueFarewell, cueGone, cueGiveAway, cueFinal, cueNotAround, cueNotFault)}, out: []cueOut{{sigPrep, kindFarewell, 0}}, with: suicidal, self: true},
	{name: "harm_in_conversation", slots: []cueSet{cs(cueThreat, cueProximity, cueStrangle, cueWeapon, cueConfine, cueShout, cueAssault, cueAlone, cueSecret, cueHomeFear)}, out: []cueOut{{sigHarm, kindProximity, 0}},
		with: setOf([]string{SignalHarmFromOthers})},
}

// cueTerms returns one synthetic term per rule output of language lang;
// the term's phrase names the rule ("cue:means_acquired"). first[r] is the
// index in terms of rule r's first output.
func cueTerms(lang string) (terms []term, first []int32) {
	for _, r := range cueRules {
		first = append(first, int32(len(terms)))
		for _, o := range r.out {
			t := term{phrase: "cue:" + r.name, category: signalNames[o.signal], language: lang,
				kind: tkSignal, r: resolved{signal: o.signal, kind: o.kind}}
			if r.self {
				t.r.person = personSelf
			}
			terms = append(terms, t)
		}
	}
	return terms, first
}

// cueOf returns the cue classes a hit stands for (termCues, by its term).
func (cl *Classifier) cueOf(h *hit) cueSet { return cl.c.termCues[h.term] }

// termCues returns the cue classes a term's hits stand for: a cue's own,
// and those the lexicon's terms lend (a named means, a time frame, a
// count). A hit's kind is its term's.
func termCues(t *term) cueSet {
	switch t.kind {
	case tkCue:
		return cs(t.cue)
	case tkTime:
		return cs(cueTime, cueTonight)
	case tkSoon:
		return cs(cueTime)
	case tkMany:
		// A numeral of ten or more is a count too ("about 40").
		if t.phrase == placeholderNumber {
			return cs(cueQuantity, cueCount)
		}
		return cs(cueQuantity)
	case tkSignal:
		if t.r.signal == sigWish && t.r.kind != kindHopeless || t.r.signal == sigIdeation && t.r.kind == kindSuicidal {
			return cs(cueDeadWish)
		}
		if t.r.signal == sigIdeation && t.r.kind == kindTopic {
			return cs(cueDeath, cueSuicide)
		}
		if t.r.signal == sigMethod && t.r.kind == kindNamed && t.r.means != meansNone {
			s := cs(cueMeans)
			if t.r.means == meansWeapon {
				s = s.or(cs(cueWeapon))
			}
			return s
		}
	}
	return cueSet{}
}

// cueUnion returns the cue classes of all the hits.
func (cl *Classifier) cueUnion(sc *scratch) cueSet {
	var u cueSet
	for i := range sc.hits {
		u = u.or(cl.cueOf(&sc.hits[i]))
	}
	return u
}

// mayFire reports whether every slot of r has a cue in u and the
// conversation meets its with condition.
func (r *cueRule) mayFire(u cueSet, recent signalSet) bool {
	if r.with != 0 && recent&r.with == 0 || u.meets(r.unless) {
		return false
	}
	for _, s := range r.slots {
		if !u.meets(s) {
			return false
		}
	}
	return true
}

// cuesMayFire reports whether some cue rule may fire on the hits.
func (cl *Classifier) cuesMayFire(sc *scratch, recent signalSet) bool {
	return !rulesMayFire(cl.cueUnion(sc), recent).empty()
}

// cooccur fires the cue rules over the hits of each pass and appends
// their synthetic hits. It runs after idioms (an idiom's words are no
// cues) and before qualify.
// insideResolved reports whether hit h lies within the words of a
// statement that something is over ("I'm safe now").
func insideResolved(sc *scratch, h *hit) bool {
	for k := range sc.hits {
		r := &sc.hits[k]
		if r.kind == tkResolved && r.flags&hitDropped == 0 && r.pass == h.pass && r.ws <= h.ws && h.we <= r.we {
			return true
		}
	}
	return false
}

func (cl *Classifier) cooccur(sc *scratch, recent signalSet) {
	n := len(sc.hits)
	for len(sc.cues) < n {
		sc.cues = append(sc.cues, cueSet{})
	}
	classes := sc.cues[:n]
	clear(classes)
	any := false
	for i := 0; i < n; i++ {
		h := &sc.hits[i]
		if h.flags&hitDropped != 0 || h.flags&hitSynthetic != 0 {
			continue
		}
		classes[i] = cl.cueOf(h)
		if classes[i].empty() {
			continue
		}
		// A cue word inside a statement that it is over is that
		// statement: the "now" of "I feel safe now" is no time frame,
		// and after ideation no intent.
		if sc.kinds&(1<<tkResolved) != 0 && h.kind == tkCue && insideResolved(sc, h) {
			classes[i] = cueSet{}
			continue
		}
		// The words after a cue change only these classes.
		if !classes[i].meets(afterWordClasses) {
			any = true
			continue
		}
		// "going to" with a negation or "nothing" right after it says no
		// intent: "je vais pas le faire", "je vais rien faire".
		if classes[i].meets(cs1(cueIntent)) && (negatedAfter(sc, h) || nothingWords[wordAfter(sc, h)]) {
			classes[i] = classes[i].minus(cs1(cueIntent))
		}
		// "then I'm done WITH errands" is finished with something, not
		// an end ("done with life" is a phrase of its own).
		// "i'm done PROCRASTINATING" is finished doing something ("done
		// living", "done trying" is an end).
		if classes[i].meets(cs1(cueDone)) {
			if w := wordAfter(sc, h); doneWith[w] || len(w) > 5 && strings.HasSuffix(w, "ing") && !doneEnds[w] {
				classes[i] = classes[i].minus(cs1(cueDone))
			}
		}
		// A count of minutes, pages or pounds is no count of doses:
		// "took them, about 40 minutes", "une trentaine de copies".
		if classes[i].meets(cs1(cueCount)) {
			unit := wordAfter(sc, h)
			if unit == "de" || unit == "of" {
				unit = wordAt(sc, h.pass, h.we+2)
			}
			if countUnits[unit] {
				classes[i] = classes[i].minus(cs1(cueCount))
			}
		}
		// "how i'd do it DIFFERENTLY at work" is a task: the act pictured
		// ends the words or runs into when it comes back ("how id do it
		// every single night").
		if classes[i].meets(cs1(cueHowId)) && !howIdThen[wordAfter(sc, h)] {
			classes[i] = classes[i].minus(cs1(cueHowId))
		}
		// "en finir AVEC les devoirs" is finishing a chore.
		if classes[i].meets(cs1(cueSuicide)) && wordAfter(sc, h) == "avec" {
			classes[i] = classes[i].minus(cs1(cueSuicide))
		}
		any = any || !classes[i].empty()
	}
	if !any {
		return
	}
	var u cueSet
	for _, c := range classes {
		u = u.or(c)
	}
	// A purpose denied is no everyday purpose: "not for camping", "no es
	// para el camping" hold nothing.
	if u.meets(cs1(cueBenign)) && u.meets(cs1(cueNotFor)) {
		for i := 0; i < n; i++ {
			if classes[i].meets(cs1(cueBenign)) && overlapsClass(sc, classes, i, cs1(cueNotFor)) {
				classes[i] = classes[i].minus(cs1(cueBenign))
			}
		}
		u = cueSet{}
		for _, c := range classes {
			u = u.or(c)
		}
	}
	// A rule's unless classes count even inside an idiom.
	if sc.kinds&(1<<tkIdiom) != 0 {
		for i := 0; i < n; i++ {
			if h := &sc.hits[i]; h.kind == tkCue && h.flags&hitDropped != 0 {
				u = u.or(cl.cueOf(h).and(cs1(cueMishap)))
			}
		}
	}
	var used [4]int
	fireable := rulesMayFire(u, recent)
	if fireable.empty() {
		return
	}
	// The hits with a class, in order: no other meets a slot.
	cued := sc.cued[:0]
	for i, c := range classes {
		if !c.empty() {
			cued = append(cued, int32(i))
		}
	}
	sc.cued = cued
	// Most messages may fire no rule, or one: only those are read.
	for ri := range fireable.rules() {
		r := &cueRules[ri]
		// A rule fires at up to maxFirings anchors, so that a second
		// occurrence counts when the first is negated or past ("he said
		// he'd never hit me again but he just punched me").
		fired := 0
		for _, a := range cued {
			if fired >= maxFirings {
				break
			}
			a := int(a)
			if !classes[a].meets(r.slots[0]) {
				continue
			}
			h := &sc.hits[a]
			used[0] = a
			ok := true
			for s := 1; s < len(r.slots) && ok; s++ {
				limit := int32(cueWindow)
				if r.window > 0 {
					limit = r.window
				}
				best, bestGap := -1, limit+1
				for _, b := range cued {
					b := int(b)
					g := &sc.hits[b]
					if !classes[b].meets(r.slots[s]) || g.pass != h.pass || usedIn(used[:s], b) || overlapsAny(sc, used[:s], g) ||
						r.ordered && s == 1 && g.ws <= h.we && wishedBefore(sc, classes, cued, r.slots[0], g, limit) {
						continue
					}
					if gap := max(g.ws-h.we, h.ws-g.we, 0); gap < bestGap {
						best, bestGap = b, gap
					}
				}
				if best < 0 {
					ok = false
					break
				}
				used[s] = best
			}
			if !ok {
				continue
			}
			cl.fire(sc, ri, used[:len(r.slots)])
			fired++
		}
	}
}

// wishedBefore reports whether a cue of slot first stands before hit g,
// within limit words (cueRule.ordered).
func wishedBefore(sc *scratch, classes []cueSet, cued []int32, first cueSet, g *hit, limit int32) bool {
	for _, b := range cued {
		w := &sc.hits[b]
		if classes[b].meets(first) && w.pass == g.pass && w.we < g.ws && g.ws-w.we <= limit {
			return true
		}
	}
	return false
}

// maxFirings bounds how many times one cue rule fires in a message.
const maxFirings = 3

// doneWith are the words after which "done" is finished with something.
var doneWith = map[string]bool{"with": true, "for": true, "con": true, "para": true, "avec": true, "pour": true, "de": true,
	// "c'est fini LES devoirs", "se acabó EL trabajo": a thing is over.
	"les": true, "le": true, "la": true, "el": true, "los": true, "las": true, "mes": true, "mis": true}

// countUnits are the words after which a count is not of doses.
var countUnits = map[string]bool{"minutes": true, "mins": true, "min": true, "hours": true, "hrs": true, "seconds": true, "days": true,
	"weeks": true, "years": true, "pages": true, "copies": true, "pounds": true, "quid": true, "dollars": true, "euros": true, "miles": true,
	"km": true, "minutos": true, "horas": true, "dias": true, "semanas": true, "anos": true, "paginas": true, "copias": true, "heures": true,
	"jours": true, "semaines": true, "ans": true, "kilometres": true, "metres": true, "metros": true, "people": true, "personas": true,
	"personnes": true, "photos": true, "fotos": true}

// howIdThen are the words that may follow the act pictured ("how i'd do
// it", "cómo lo haría"): none, or a time it comes back or another thought.
var howIdThen = map[string]bool{"": true, "every": true, "each": true, "all": true, "and": true, "cada": true, "todos": true, "todas": true,
	"todo": true, "y": true, "tous": true, "toutes": true, "tout": true, "chaque": true, "et": true}

// nothingWords after "going to" say it is to do nothing.
var nothingWords = map[string]bool{"rien": true, "nada": true, "nothing": true}

// doneEnds are the -ing words after which "done" is still an end.
var doneEnds = map[string]bool{"living": true, "existing": true, "trying": true, "fighting": true, "nothing": true, "something": true,
	"anything": true, "everything": true, "breathing": true, "pretending": true}

// wordAfter returns the normalised word right after hit h.
func wordAfter(sc *scratch, h *hit) string {
	n := &sc.n[h.pass]
	if int(h.we)+1 >= len(n.words) {
		return ""
	}
	start := n.words[h.we+1]
	end := start
	for int(end) < len(n.buf) && n.buf[end] != ' ' {
		end++
	}
	return string(n.buf[start:end])
}

// negatedAfter reports whether a negation cue begins at the word after h.
func negatedAfter(sc *scratch, h *hit) bool {
	for i := range sc.hits {
		g := &sc.hits[i]
		if g.kind == tkNegation && g.pass == h.pass && g.ws == h.we+1 {
			return true
		}
	}
	return false
}

// overlapsClass reports whether another hit of one of the classes c shares
// words with hit i.
func overlapsClass(sc *scratch, classes []cueSet, i int, c cueSet) bool {
	h := &sc.hits[i]
	for j := range classes {
		g := &sc.hits[j]
		if j != i && classes[j].meets(c) && g.pass == h.pass && g.ws <= h.we && h.ws <= g.we {
			return true
		}
	}
	return false
}

func usedIn(used []int, b int) bool {
	for _, u := range used {
		if u == b {
			return true
		}
	}
	return false
}

// overlapsAny reports whether g shares words with one of the used hits: one
// word is one cue ("dead" is not both the wish and the death).
func overlapsAny(sc *scratch, used []int, g *hit) bool {
	for _, u := range used {
		o := &sc.hits[u]
		if g.ws <= o.we && o.ws <= g.we {
			return true
		}
	}
	return false
}

// fire appends rule ri's synthetic hits, each over the words of the cue of
// its anchor slot, and marks the cues as evidence.
func (cl *Classifier) fire(sc *scratch, ri int, used []int) {
	if len(sc.hits)+len(cueRules[ri].out) > maxHits {
		return
	}
	partner := int32(-1)
	for _, u := range used {
		sc.hits[u].flags |= hitEvidence
		if cl.cueOf(&sc.hits[u]).meets(cs1(cueMeans)) {
			partner = int32(u)
		}
	}
	// A message marked as a joke ("me tiro por la ventana jajaja") holds
	// what its cues say.
	flags := hitSynthetic
	if sc.kinds&(1<<tkJoke) != 0 {
		flags |= hitHidden
	}
	// The language's number, cueLang's (0 where it has none).
	lang := max(int(cl.c.termLang[sc.hits[used[0]].term]), 0)
	for k, o := range cueRules[ri].out {
		a := sc.hits[used[o.anchor]]
		sc.hits = append(sc.hits, hit{term: cl.c.cueFirst[lang][ri] + int32(k), partner: partner, kind: tkSignal,
			pass: a.pass, flags: flags, ns: a.ns, ne: a.ne, ws: a.ws, we: a.we, os: a.os, oe: a.oe})
	}
	sc.kinds |= 1 << tkSignal
}

// cueList is one class's words of one language.
type cueList struct {
	class   cueClass
	phrases []string
}

// cueLists are one language's cue words by class, keyed by the class's
// name (cueNames): the YAML map under cues. A map rather than a field per
// class, so that a new class is one constant and one name.
type cueLists map[string][]string

// lists returns a language's cue lists in class order.
func (c cueLists) lists() []cueList {
	out := make([]cueList, 0, len(c))
	for cl := cueClass(1); cl < numCues; cl++ {
		if ph := c[cueNames[cl]]; len(ph) > 0 {
			out = append(out, cueList{cl, ph})
		}
	}
	return out
}

// cueClassNamed returns the class of a YAML key.
func cueClassNamed(name string) (cueClass, bool) {
	for cl := cueClass(1); cl < numCues; cl++ {
		if cueNames[cl] == name {
			return cl, true
		}
	}
	return cueNone, false
}

// validate checks every cue phrase.
func (c cueLists) validate() error {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if _, ok := cueClassNamed(k); !ok {
			return fmt.Errorf("cues.%s: no such cue class", k)
		}
	}
	for _, l := range c.lists() {
		for _, ph := range l.phrases {
			if err := checkPhrase(ph); err != nil {
				return fmt.Errorf("cues.%s: %v", cueNames[l.class], err)
			}
		}
	}
	return nil
}
