package lexicon

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// TestCueSetHoldsEveryClass: a set has room for every class, the last
// included, and classes on either side of the 64th bit do not alias.
func TestCueSetHoldsEveryClass(t *testing.T) {
	for c := cueClass(1); c < numCues; c++ {
		s := cs(c)
		if !s.meets(cs(c)) || s.minus(cs(c)) != (cueSet{}) || s.empty() {
			t.Fatalf("class %d (%s) is not held alone", c, cueNames[c])
		}
		for d := cueClass(1); d < numCues; d++ {
			if d != c && s.meets(cs(d)) {
				t.Fatalf("class %d (%s) meets class %d (%s)", c, cueNames[c], d, cueNames[d])
			}
		}
	}
	if hi := cueClass(cueWords*64 - 1); !cs(hi).meets(cs(hi)) || cs(hi).meets(cs(hi-64)) {
		t.Fatal("the second word aliases the first")
	}
}

// TestGeneratedVocabulary: the words data/generated adds (WordNet's
// medicines, hunspell's conjugations) are cues like the hand-written
// ones, and an everyday purpose still holds them.
func TestGeneratedVocabulary(t *testing.T) {
	c := defaultClassifier(t)
	tests := []struct {
		text string
		want Risk
	}{
		{"bought secobarbital, then i'm done", RiskCrisis}, // WordNet: a barbiturate under medicine
		{"mi novio me abofeteó otra vez", RiskCrisis},      // hunspell es_ES: abofetear's preterite
		{"mon mari m'a brutalisée hier soir", RiskCrisis},  // hunspell fr: brutaliser's participle
		{"bought a lot of secobarbital for my nan", RiskElevated},
		{"tomo 50mg de sertralina cada mañana", RiskNone}, // tomó folds to tomo, the present: not generated
	}
	for _, tt := range tests {
		if v := c.Classify(tt.text); v.Risk != tt.want {
			t.Errorf("%q: %s (%s %v), want %s", tt.text, v.Risk, v.Rule, v.Signals, tt.want)
		}
	}
}

// TestGeneratedVocabularyChecked: a generated file names its language and
// known classes only.
func TestGeneratedVocabularyChecked(t *testing.T) {
	base := fstest.MapFile{Data: []byte(minimalYAML)}
	tests := []struct{ name, gen, want string }{
		{"other language", "language: yy\ncues:\n  means: [pills]\n", `language "yy", want "xx"`},
		{"unknown class", "language: xx\ncues:\n  sadness: [blue]\n", "no such cue class"},
		{"unknown key", "language: xx\nmood: sad\n", "field mood not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{"d/xx.yaml": &base, "d/generated/xx.yaml": &fstest.MapFile{Data: []byte(tt.gen)}}
			_, err := FromFS(fsys, "d")
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("FromFS: %v; want ErrInvalid containing %q", err, tt.want)
			}
		})
	}
	ok := fstest.MapFS{"d/xx.yaml": &base, "d/generated/xx.yaml": &fstest.MapFile{Data: []byte("language: xx\ncues:\n  means: [pills]\n")}}
	if _, err := FromFS(ok, "d"); err != nil {
		t.Fatal(err)
	}
}

// TestGeneralisingRules: the families of the taxonomy read in words no
// lexicon entry holds, and the everyday sentences beside them stay calm,
// by the rules alone: it tests the rules. The shipped model raises two of
// the calm sentences (doc.go, "Known false alarms").
func TestGeneralisingRules(t *testing.T) {
	c := rulesClassifier(t)
	t0 := time.Date(2026, 12, 1, 22, 0, 0, 0, time.UTC)
	tests := []struct {
		context []string
		text    string
		risk    Risk
		rule    string
	}{
		{nil, "he had his hands around my neck again tonight", RiskCrisis, RuleHarmImmediate},
		{nil, "sat on the edge of the top floor of the car park", RiskCrisis, RuleRecentBehaviour},
		{[]string{"i want to end my life"}, "did it already", RiskCrisis, RuleRecentBehaviour},
		{nil, "bought charcoal and sealed the windows", RiskCrisis, RuleMethodPrepared},
		{nil, "keep picturing stepping in front of a lorry", RiskCrisis, RuleActiveIdeation},
		{nil, "c'est décidé, samedi j'en finis", RiskCrisis, RulePlan},
		{nil, "me voy a suicidar mañana", RiskCrisis, RuleActiveIdeation},
		{nil, "q u i e r o   m o r i r", RiskCrisis, RuleActiveIdeation},
		{nil, "he comprado una cuerda y dejé una carta de despedida", RiskCrisis, RulePreparatoryAct},

		{nil, "i'll make sure i never wake up again after tonight", RiskCrisis, RuleIntentTime},
		{nil, "this is the last time anyone has to put up with me", RiskCrisis, RulePreparatoryAct},
		{nil, "he's smashing the place up downstairs and i'm hiding in my room", RiskCrisis, RuleThreatWeaponProximity},

		{nil, "i'll do it out at the quarry", RiskCrisis, RulePlan},
		{nil, "car's in the garage with the engine running and i'm sitting in it", RiskCrisis, RuleMethodPrepared},
		{nil, "got the pills, and i know which bridge", RiskCrisis, RulePlan},
		{nil, "how much aspirin would stop the heart", RiskCrisis, RuleMethodIntent},

		{nil, "my brother keeps saying he'll end it", RiskElevated, RuleThirdParty},
		{nil, "which bridge has the nicest view for photos", RiskNone, RuleHidden},
		{nil, "waiting in the car in the garage till the rain stops", RiskNone, RuleNoMatch},
		{nil, "everybody would be happier if i was gone", RiskElevated, RuleWishToBeDead},
		{nil, "i dont want to keep living like this", RiskElevated, RuleWishToBeDead},
		{nil, "mi ex me pegaba pero ya no vivo con él", RiskElevated, RulePastDisclosed},
		{nil, "estoy en el tejado tomando el sol", RiskNone, RuleHidden},
		{nil, "won't be around on friday, i'm away on business", RiskNone, RuleNoMatch},
		{nil, "this is the last time you'll have to see me at work, new job on monday", RiskNone, RuleNoMatch},
		{nil, "lol gonna throw myself off the roof if they cancel the show", RiskElevated, RuleJokeMarked},
		{nil, "waiting in front of the bus station for my mum", RiskNone, RuleNoMatch},
		{nil, "charcoal and tape for the bbq tomorrow", RiskNone, RuleMeansOnly},
		{nil, "my throat is sore and my hands are freezing", RiskNone, RuleNoMatch},
		{nil, "je veux en finir avec ces devoirs ce soir", RiskNone, RuleIdiomSuppressed},
		{[]string{"what time do you open"}, "already did, thanks", RiskNone, RuleNoMatch},

		// Lexicon 2026.12.7.6, rules 2026.12.7.5: no point in existing, the
		// decision and how, goodbyes timed to send, a hose to a car, a cut
		// past the usual, abuse said as "does things to me"; and the
		// everyday sentences that share their words.
		{nil, "whats the point of carrying on, ive got a box of paracetamol", RiskCrisis, RuleMethodPurpose},
		{nil, "decided how im going out", RiskCrisis, RulePlan},
		{nil, "tubing from the exhaust into the car and taped it up", RiskCrisis, RuleMethodPrepared},
		{nil, "sliced my arm to the bone", RiskCrisis, RuleRecentBehaviour},
		{nil, "my carer does things to me when mum is out", RiskCrisis, RuleHarmImmediate},
		{nil, "no point going on the trip if it rains", RiskNone, RuleNoMatch},
		{nil, "we decided how to do it, the kitchen first", RiskNone, RuleNoMatch},
		{nil, "birthday messages scheduled to send at midnight", RiskNone, RuleNoMatch},
		{nil, "bought a hose to wash the car this weekend", RiskNone, RuleNoMatch},
		{nil, "cut my finger really deep chopping onions", RiskNone, RuleNoMatch},
		{nil, "we're gonna batter them tonight at the match", RiskNone, RuleNoMatch},
		{nil, "i'm at the top of the tower visiting my aunt, the view is lovely", RiskNone, RuleNoMatch},

		// Rules 2026.12.7.6: a past said to be over tells the whole
		// message, unless a "tonight" starts the present between; a
		// negation before the verb ("never will i"); a joke denied; a
		// rule's second occurrence counts when its first is negated.
		{nil, "at the age of 15 i overdosed, im 30 now and life is good", RiskNone, RulePastResolved},
		{nil, "my boyfriend punched me, thats why i left him, im safe now", RiskNone, RulePastResolved},
		{nil, "i quit years ago but tonight i took 30 of my tablets", RiskCrisis, RuleRecentBehaviour},
		{nil, "never will i kill myself, my kids need me", RiskNone, RuleNegated}, // rules 2026.12.7.10: a denied statement is none
		{nil, "lol not joking, the rope is tied and ready", RiskCrisis, RuleMethodPrepared},
		{nil, "he swore hed never hit me again but he just slapped me", RiskCrisis, RuleHarmImmediate},

		// Lexicon 2026.12.7.8, rules 2026.12.7.7: goodbyes or things given
		// away while hiding why; removing oneself from the picture; a
		// peace made; and the same words for a trip or a new car.
		{nil, "gave my bike to my cousin, he thinks im just clearing out", RiskCrisis, RulePreparatoryAct},
		{nil, "removing myself from the picture tonight", RiskCrisis, RulePreparatoryAct},
		{nil, "at peace with it now, i wont be here much longer", RiskCrisis, RuleActiveIdeation},
		{nil, "my kids would cope better if i wasnt around", RiskElevated, RuleWishToBeDead},
		{nil, "told my sister she can have my old car when i get the new one", RiskNone, RuleNoMatch},
		{nil, "i'll be gone before anyone wakes up, early flight to spain", RiskNone, RuleNoMatch},

		// Lexicon 2026.12.7.9, rules 2026.12.7.8: an adult with a hold
		// over a child, in secret; a window smashed and someone parked
		// across the road; a threat against telling; a blow in play.
		{nil, "my coach dms me late at night and says to delete it", RiskCrisis, RuleHarmImmediate},
		{nil, "my ex smashed my window and is parked across the road", RiskCrisis, RuleThreatWeaponProximity},
		{nil, "if i tell anyone he says he'll hurt my kids", RiskCrisis, RuleHarmImmediate},
		{nil, "my coach sent the match times on snapchat", RiskNone, RuleNoMatch},
		{nil, "my sister hit me with a snowball haha", RiskNone, RuleHidden},

		// Rules 2026.12.7.14: the act unnamed and an end said of oneself;
		// and an end said of a chore.
		{nil, "i'm going to do it. i'm done", RiskCrisis, RuleIntentTime},
		{nil, "lo voy a hacer. se acabó para mí", RiskCrisis, RuleIntentTime},
		{nil, "je vais le faire. c'est fini pour moi", RiskCrisis, RuleIntentTime},
		{nil, "i'll do it later, i'm done for today", RiskNone, RuleNoMatch},
		{nil, "ill do it now, then im done procrastinating", RiskNone, RuleNoMatch},
		{nil, "je le fais demain et après c'est fini les devoirs", RiskNone, RuleNoMatch},

		// Lexicon en 2026.12.7.16, es/fr 2026.12.7.15, rules 2026.12.7.15: a
		// story said right after its question; last month is a past; no
		// thoughts of it is a denial. And the same words meant.
		{nil, "cuanto tarda alguien en morir estrangulado? es para una escena", RiskNone, RuleHidden},
		{nil, "combien de temps on survit si on est étranglé ? c'est pour une scène", RiskNone, RuleHidden},
		{nil, "how long would someone survive after being strangled, its for a scene", RiskNone, RuleHidden},
		{nil, "no thoughts of ending it, just anxious about court", RiskNone, RuleNegated},
		{nil, "he strangled me last month", RiskElevated, RulePastDisclosed},
		{nil, "he has his hands round my neck right now", RiskCrisis, RuleHarmImmediate},

		// Lexicon en 2026.12.7.17, es/fr 2026.12.7.16, rules 2026.12.7.16:
		// writing in hiding from someone there; a decision held against
		// being talked out of it, with a day.
		{nil, "hes standing over me while i type this. dont call back", RiskCrisis, RuleThreatWeaponProximity},
		{nil, "el esta aqui mientras te escribo, no me llames", RiskCrisis, RuleThreatWeaponProximity},
		{nil, "il est derrière moi pendant que j'écris. rappelez pas", RiskCrisis, RuleThreatWeaponProximity},
		{nil, "dont call back, im in a meeting with my boss", RiskNone, RuleNoMatch},
		{nil, "its decided. sunday. please dont try to talk me out of it", RiskCrisis, RuleIntentTime},
		{nil, "el sabado es el dia. ya no hay vuelta atras", RiskCrisis, RuleIntentTime},
		{nil, "ce sera dimanche. essayez pas de me faire changer d'avis", RiskCrisis, RuleIntentTime},
		{nil, "i changed my mind about the party on sunday", RiskNone, RuleNoMatch},

		// Lexicon en 2026.12.7.18, es/fr 2026.12.7.17, rules 2026.12.7.17:
		// "going to do nothing", "jamais" after the verb, nobody doing it,
		// "cuando era" as a past; and the same words meant.
		{nil, "je suis fatiguée de vivre. je vais rien faire, je suis juste épuisée", RiskElevated, RuleWishToBeDead},
		{nil, "t'inquiète je me tuerais jamais, mes enfants ont besoin de moi", RiskNone, RuleNegated},
		{nil, "nobody hits me, we just argue a lot", RiskNone, RuleNoMatch},
		{nil, "no one would miss me if i died", RiskElevated, RuleWishToBeDead},
		{nil, "je vais me tuer ce soir", RiskCrisis, RuleActiveIdeation},

		// Lexicon en 2026.12.7.19, es/fr 2026.12.7.18, rules 2026.12.7.18:
		// embarrassment holds a wish to die as a joke does; "jpp de" is
		// exasperation, no laugh; shame is no embarrassment.
		{nil, "qué oso, me quiero morir. le mandé a mi jefe el audio", RiskElevated, RuleJokeMarked},
		{nil, "so embarrassing i want to die, called my teacher mum", RiskElevated, RuleJokeMarked},
		{nil, "trop la honte je veux mourir j'ai appelé la prof maman", RiskElevated, RuleJokeMarked},
		{nil, "i'm so ashamed of what i did, i want to kill myself", RiskCrisis, RuleActiveIdeation},
		{nil, "jpp de cette vie jveux me foutre en l'air", RiskCrisis, RuleActiveIdeation},

		// Lexicon en 2026.12.7.20, es/fr 2026.12.7.19, rules 2026.12.7.19:
		// a ligature fixed where it hangs, made ready or sat by.
		{nil, "ive got the belt round the door handle already. just sitting here", RiskCrisis, RuleMethodPrepared},
		{nil, "tengo la cuerda puesta en la viga del garaje", RiskCrisis, RuleMethodPrepared},
		{nil, "la ceinture est déjà accrochée à la poignée de porte", RiskCrisis, RuleMethodPrepared},
		{nil, "hung my belt on the door handle", RiskNone, RuleNoMatch},
		{nil, "ate las plantas a la viga del invernadero", RiskNone, RuleNoMatch},

		// Lexicon en 2026.12.7.21, es/fr 2026.12.7.20, rules 2026.12.7.20: a
		// whole supply taken a short while ago or with the body reacting;
		// a means taken on purpose.
		{nil, "took everything in the cabinet about 20 mins ago. feeling really sleepy now", RiskCrisis, RuleRecentBehaviour},
		{nil, "j'ai pris tout mon traitement du mois d'un coup y a une heure", RiskCrisis, RuleRecentBehaviour},
		{nil, "me pasé con las pastillas a proposito y me siento muy mareada", RiskCrisis, RuleRecentBehaviour},
		{nil, "took all the kids to the park an hour ago, so sleepy now", RiskNone, RuleNoMatch},
		{nil, "took my antibiotics an hour ago and feel dizzy", RiskNone, RuleNoMatch},

		// Lexicon en 2026.12.7.22, es/fr 2026.12.7.21: no one having to bear
		// one any more, resting forever, telling everyone one loves them.
		{nil, "perdon por todo. ya no me van a tener que aguantar mas. adios", RiskCrisis, RulePreparatoryFarewell},
		{nil, "sorry for everything. you wont have to put up with me anymore. bye", RiskCrisis, RulePreparatoryFarewell},
		{nil, "pardon pour tout. vous aurez plus à me supporter. adieu", RiskCrisis, RulePreparatoryFarewell},
		{nil, "told them i love them at dinner, great night", RiskNone, RuleNoMatch},

		// Lexicon en 2026.12.7.23, es/fr 2026.12.7.22, rules 2026.12.7.21:
		// drugged by someone.
		{nil, "i think my flatmate put something in my drink at the party", RiskCrisis, RuleThreatWeaponProximity},
		{nil, "me echaron algo en la bebida en la fiesta", RiskCrisis, RuleThreatWeaponProximity},
		{nil, "je crois qu'on m'a droguée à la soirée", RiskCrisis, RuleThreatWeaponProximity},
		{nil, "my drink got spiked at uni years ago, im fine now", RiskNone, RulePastResolved},

		// Lexicon es/fr 2026.12.7.23: leaving in one's sleep as a purpose.
		{nil, "combien de doliprane il faut pour partir en dormant ? c pour moi", RiskCrisis, RuleMethodIntent},
		{nil, "mon grand-père est parti en dormant, paisiblement", RiskNone, RuleNoMatch},

		// Lexicons 2026.12.7.26, rules 2026.12.7.24: false alarms by
		// class. A dose taken as the doctor said; a ligature for a swing;
		// a phone stolen with a child's photos; a purchase decided; the
		// danger passed; someone else's words posted; folded words that
		// are other words ("proud of myself" is no "off myself", French
		// "il" no "i'll"); "pas" after the auxiliary.
		{nil, "took all my meds this morning like the doctor said", RiskNone, RuleHidden},
		{nil, "j'ai pris tous mes médicaments ce matin comme le médecin a dit", RiskNone, RuleHidden},
		{nil, "me tomé todas mis pastillas esta mañana como me dijo el médico", RiskNone, RuleHidden},
		{nil, "took all my meds an hour ago and i feel really weird", RiskCrisis, RuleRecentBehaviour},
		{nil, "tied a rope to the beam for the kids swing", RiskNone, RuleHidden},
		{nil, "até la cuerda a la viga para el columpio de los niños", RiskNone, RuleHidden},
		{nil, "tied a rope to the beam. tonight", RiskCrisis, RuleMethodPrepared},
		{nil, "someone stole my phone and it has all the photos of my daughter on it", RiskNone, RuleNoMatch},
		{nil, "on m'a volé mon portable avec toutes les photos de ma fille", RiskNone, RuleNoMatch},
		{nil, "im 12 and a man from the game wants photos and says dont tell", RiskCrisis, RuleHarmImmediate},
		{nil, "don't try to talk me out of it, I'm buying the red dress on friday", RiskNone, RuleNoMatch},
		{nil, "no intentes convencerme, el sábado me hago el tatuaje", RiskNone, RuleNoMatch},
		{nil, "essaie pas de me faire changer d'avis, samedi je me fais un tatouage", RiskNone, RuleNoMatch},
		{nil, "its decided. sunday. please dont try to talk me out of it", RiskCrisis, RuleIntentTime},
		{[]string{"he said he'll kill me if i leave", "he's outside banging on the door"}, "thank you so much, the police came. bye", RiskNone, RuleNoMatch},
		{[]string{"mi ex dice que me va a matar", "está en el portal golpeando la puerta"}, "gracias, ya llegó la policía. adiós", RiskNone, RuleNoMatch},
		{[]string{"il a dit qu'il allait me tuer", "il est devant ma porte, il tape"}, "merci, la police est arrivée. au revoir", RiskNone, RuleNoMatch},
		{[]string{"he said he'll kill me if i leave", "he's outside banging on the door"}, "hes still here", RiskCrisis, RuleRepeatedElevated},
		{nil, "a girl in my class posted \"im going to end it\" on her story last night", RiskElevated, RuleThirdParty},
		{nil, "una chica de mi clase publicó \"esta noche me mato\" en su historia", RiskElevated, RuleThirdParty},
		{nil, "un mec de ma classe a posté \"demain je serai plus là\" sur snap", RiskElevated, RuleThirdParty},
		{nil, "my mum saw that i posted im going to end it tonight", RiskCrisis, RuleActiveIdeation},
		{nil, "i'm proud of myself today", RiskNone, RuleNoMatch},
		{nil, "i want to off myself", RiskCrisis, RuleActiveIdeation},
		{nil, "il veut sauter du pont ce soir", RiskElevated, RuleThirdParty},
		{nil, "combien de doliprane il faut pour ne pas se réveiller", RiskCrisis, RuleMethodIntent},
		{nil, "he'd be better off without me", RiskElevated, RuleWishToBeDead},
		{nil, "mon ex est en bas de chez moi, il a son fusil", RiskCrisis, RuleThreatWeaponProximity},
		{nil, "j'ai trop envie de me scarifier ce soir mais je l'ai pas fait", RiskElevated, RuleSelfHarmUrge},
		{nil, "j'en ai pris pas mal, genre 30 cachets", RiskCrisis, RuleRecentBehaviour},
		{[]string{"feeling better, the new meds are really working"}, "thanks for everything", RiskNone, RuleNoMatch},
		{[]string{"i've got the pills here"}, "thanks for everything, goodbye", RiskCrisis, RulePreparatoryFarewell + RuleAcrossSuffix},

		// Lexicons 2026.12.7.28, rules 2026.12.7.26: harm from others as
		// it is told. Someone arriving after a threat or harassment; an
		// adult met online with gifts or secrecy; afraid to go home with
		// the marks of a beating; a threat to keep a child quiet.
		{[]string{"my husband got out of prison last week", "hes been texting me from different numbers"}, "the doorbell keeps going. i can see him through the glass", RiskCrisis, RuleRepeatedElevated},
		{[]string{"mi ex salió de la cárcel el lunes", "me escribe de números desconocidos"}, "hay un coche parado enfrente de la casa con las luces apagadas", RiskCrisis, RuleRepeatedElevated},
		{[]string{"mon mari est sorti de prison", "il m'appelle en numéro masqué"}, "ça sonne à l'interphone depuis 10 min. je vois sa voiture garée en bas", RiskCrisis, RuleRepeatedElevated},
		{nil, "the doorbell keeps going, its the delivery guy with my parcel", RiskNone, RuleNoMatch},
		{nil, "the man from the game gave me robux and says not to tell my mum", RiskCrisis, RuleHarmImmediate},
		{nil, "el señor del juego me regaló skins", RiskCrisis, RuleHarmImmediate},
		{nil, "le monsieur du jeu m'a offert des v-bucks", RiskCrisis, RuleHarmImmediate},
		{nil, "my daughter plays roblox and a man from the game sent her a friend request, how do i block him", RiskNone, RuleNoMatch},
		{nil, "my dad said hes going to kill me when he gets home. last time i couldnt go to school for the bruises. i dont want to go home", RiskCrisis, RuleHarmImmediate},
		{nil, "j'ai des bleus partout après le rugby, je veux pas rentrer tout de suite", RiskNone, RuleNoMatch},
		{nil, "mi padrastro dice que si cuento lo que me hace nos echa a la calle", RiskCrisis, RuleHarmImmediate},
		{nil, "mon mari m'interdit de sortir. il a dit qu'il me tuerait si j'appelle ma mère. il est dans le salon", RiskCrisis, RuleThreatWeaponProximity},
		{nil, "il m'a mis le canon du fusil sur la tempe hier soir. là il recommence à boire", RiskCrisis, RuleThreatWeaponProximity},
		{nil, "my dad is drinking again and i'm worried about him", RiskNone, RuleNoMatch},
		{nil, "my 14 yr old has been talking to a man online who sent her money and wants to pick her up from school tomorrow", RiskCrisis, RuleHarmImmediate},

		// Lexicons 2026.12.7.31, rules 2026.12.7.27: means and acts as
		// they are told. Doses taken named by a pronoun, with how many; a
		// hanging with what hangs; at a station for the train one won't
		// board; over traffic, watching it; a weapon for when nobody is
		// there; a means ready for when the message is sent.
		{nil, "Ive already taken them. about 40. not sure what to do now", RiskCrisis, RuleRecentBehaviour},
		{nil, "c'est fait je les ai pris. une quarantaine", RiskCrisis, RuleRecentBehaviour},
		{nil, "ya me las tomé, unas cuarenta", RiskCrisis, RuleRecentBehaviour},
		{nil, "took them to school, about 40 minutes away", RiskNone, RuleNoMatch},
		{nil, "c'est fait, j'ai corrigé une trentaine de copies", RiskNone, RuleNoMatch},
		{nil, "me colgué con una sábana y se rompió", RiskCrisis, RuleRecentBehaviour},
		{nil, "je me suis pendue au cou de ma sœur à l'aéroport", RiskNone, RuleNoMatch},
		{nil, "estoy en el anden del metro esperando el tren pero no para subirme", RiskCrisis, RuleRecentBehaviour},
		{nil, "je suis sur le quai de la gare, j'attends le train de 18h. pas pour monter dedans", RiskCrisis, RuleRecentBehaviour},
		{nil, "on the footbridge over the m62 watching the lorries go under", RiskCrisis, RuleRecentBehaviour},
		{nil, "we walked over the footbridge watching the trains, the kids loved it", RiskNone, RuleNoMatch},
		{nil, "when the house is empty on friday im going to use dads shotgun", RiskCrisis, RulePlan},
		{nil, "vendredi quand la maison sera vide je prends le fusil de mon père", RiskCrisis, RulePlan},
		{nil, "les cachets sont là, la vodka aussi, je le fais dès que j'envoie ce message", RiskCrisis, RulePreparatoryAct},
		{nil, "bought a rope today. wont say what for. you know what for", RiskCrisis, RuleMethodIntent},
		{nil, "je suis au bord de l'eau avec les enfants, on pique-nique", RiskNone, RuleNoMatch},

		// Lexicons 2026.12.7.32, rules 2026.12.7.28: a bite is an everyday
		// injury, waiting for someone on a bridge an everyday reason, and
		// "pas" after a harm's verb denies it.
		{nil, "my dog bit me and i'm bleeding a lot, is that bad", RiskNone, RuleHidden},
		{nil, "mi perro me mordió y estoy sangrando mucho", RiskNone, RuleHidden},
		{nil, "mon chien m'a mordu et je saigne beaucoup", RiskNone, RuleHidden},
		{nil, "my boyfriend bit me and i'm bleeding a lot", RiskCrisis, RuleHarmImmediate},
		{nil, "i cut myself with a broken glass on purpose and it won't stop bleeding", RiskCrisis, RuleRecentBehaviour},
		{nil, "i'm on the bridge waiting for the bus to work", RiskNone, RuleHidden},
		{nil, "estoy en el puente esperando a mi novio", RiskNone, RuleHidden},
		{nil, "je suis sur le pont, j'attends ma copine", RiskNone, RuleHidden},
		{nil, "i'm on the bridge. i want to jump", RiskCrisis, RuleRecentBehaviour},
		{nil, "il ne me frappe pas, il crie juste parfois", RiskElevated, RuleNegatedHeld},
		{nil, "il me frappe pas mal ces temps-ci", RiskCrisis, RuleHarmImmediate},

		// Lexicons 2026.12.7.33, rules 2026.12.7.29: a cut past what was
		// meant after a blade; fumes from a brazier in a sealed room; a
		// jerk of the wheel thought of; a ligature looked up with the
		// thought there all the time; a clock time is no "24/7".
		{[]string{"me encerré en el baño", "tengo las cuchillas del sacapuntas"}, "esta vez me pasé, no para", RiskCrisis, RuleRecentBehaviour},
		{[]string{"je me suis enfermée dans la salle de bain", "j'ai pris le cutter"}, "là j'ai trop appuyé, ça s'arrête pas", RiskCrisis, RuleRecentBehaviour},
		{nil, "esta vez me pasé con la sal, no para de picar", RiskNone, RuleNoMatch},
		{nil, "ya sellé las ventanas del baño y tengo el brasero listo. esta noche", RiskCrisis, RuleMethodPrepared},
		{nil, "je roule sur l'autoroute là, je pense à donner un coup de volant sous le prochain camion", RiskCrisis, RuleMethodIntent},
		{nil, "i swerve every time a cyclist comes, i keep thinking they'll fall", RiskNone, RuleNoMatch},
		{nil, "je regarde des vidéos sur comment faire un noeud coulant depuis hier soir. je pense qu'à ça", RiskCrisis, RuleActiveIdeation},
		{nil, "i look up train times every day for my commute", RiskElevated, RuleMethodAlone},

		// Lexicons 2026.12.7.36, rules 2026.12.7.31: a year is a past
		// ("{y}": four digits from 1900 to 2099), so a past said to be
		// over is none; a year still counts as many.
		{nil, "i overdosed after my divorce in 2015, ive been well for years", RiskNone, RulePastResolved},
		{nil, "me tomé 30 pastillas en 2015, ahora estoy bien", RiskNone, RulePastResolved},
		{nil, "j'ai fait une overdose en 2012, je vais bien maintenant", RiskNone, RulePastResolved},
		{nil, "in 2015 i overdosed and i still think about it every day", RiskElevated, RulePastDisclosed},
		{nil, "i took 30 paracetamol an hour ago", RiskCrisis, RuleRecentBehaviour},

		// Lexicons 2026.12.7.37, rules 2026.12.7.32: a stranger's lure;
		// a lethal drug taken from work with what it does known.
		{nil, "a grown man is telling her to delete his messages and asking what shes wearing", RiskCrisis, RuleHarmImmediate},
		{nil, "my daughter is 15, her boyfriend asked what shes wearing to the party and said he'll pick her up", RiskNone, RuleNoMatch},
		{nil, "j'ai pris des ampoules de potassium au boulot. je suis infirmière, je sais ce que ça fait", RiskCrisis, RuleMethodIntent},
		{nil, "i take potassium tablets for my heart, i know what they do", RiskNone, RuleMeansOnly},

		// Lexicons 2026.12.7.38: one's own feelings supposed for some
		// day are a hypothetical (not a condition on leaving, nor a
		// suicide named as one's own); "doesn't" denies; "pensaría"
		// between a denial and its term; a span of years since is a past.
		{nil, "if i ever felt suicidal would you call the police on me", RiskNone, RuleHidden},
		{nil, "si algún día tengo ideas suicidas, ¿puedo escribiros a cualquier hora?", RiskNone, RuleHidden},
		{nil, "si un jour j'ai des idées suicidaires, je peux vous écrire la nuit ?", RiskNone, RuleHidden},
		{nil, "if i ever leave him he'll kill me", RiskCrisis, RuleHarmImmediate},
		{nil, "if i ever see him again i'll kill myself", RiskCrisis, RuleActiveIdeation},
		{nil, "no he doesnt hit me, he's just moody", RiskElevated, RuleNegatedHeld},
		{nil, "nunca pensaría en quitarme la vida, tengo a mis hijos", RiskNone, RuleNegated},
		{nil, "je ne penserais jamais à me tuer, j'ai mes enfants", RiskNone, RuleNegated},
		{nil, "ten years since my attempt and celebrating today", RiskElevated, RulePastDisclosed},
		{nil, "diez años desde mi intento y hoy lo celebro", RiskElevated, RulePastDisclosed},

		// Lexicons 2026.12.7.39: the French masculine "tour" (a turn, a
		// round) is never the feminine "la tour" (a tower).
		{nil, "j'ai fait le tour des magasins aujourd'hui", RiskNone, RuleNoMatch},
		{nil, "je suis en haut de la tour, je vais sauter", RiskCrisis, RuleRecentBehaviour},
		{nil, "je fais le tour des pharmacies pour avoir assez de doliprane", RiskCrisis, RulePreparatoryAct},

		// Rules 2026.12.7.33: harm someone else tells of, done to a
		// third person named at its verb, is theirs (elevated, no
		// crisis); a noun ("la amenaza") or harm told by the writer
		// stays the writer's.
		{nil, "la vecina dice que su marido la amenazó con un cuchillo", RiskElevated, RuleHarmFromOthers},
		{nil, "my neighbour says her husband threatened her with a knife", RiskElevated, RuleHarmFromOthers},
		{nil, "ma voisine dit que son mari l'a menacée avec un couteau", RiskElevated, RuleHarmFromOthers},
		{nil, "my husband threatened me with a knife", RiskCrisis, RuleThreatWeaponProximity},
		{nil, "la amenaza de mi ex con el cuchillo me tiene aterrada", RiskCrisis, RuleThreatWeaponProximity},
		{nil, "la menace de mon ex avec le couteau me terrifie", RiskCrisis, RuleThreatWeaponProximity},
		{nil, "he threatened her with a knife, she's 6 and hiding with me in the bathroom", RiskCrisis, RuleThreatWeaponProximity},
		{nil, "my mum says he threatened her with a knife and he's downstairs now", RiskCrisis, RuleThreatWeaponProximity},

		// Lexicons 2026.12.7.43, rules 2026.12.7.34: a death word inside
		// someone else's suicide is no threat to the writer.
		{nil, "mi hijo me contó que un compañero se va a matar con la pistola de su papá", RiskElevated, RuleThirdParty},
		{nil, "mon fils m'a dit qu'un copain allait se tuer avec le fusil de son père", RiskElevated, RuleHarmFromOthers},
		{nil, "mi ex me dijo que me iba a matar con la pistola", RiskCrisis, RuleThreatWeaponProximity},
		{nil, "mi ex dijo que se iba a matar y luego me amenazó con el cuchillo", RiskCrisis, RuleThreatWeaponProximity},
	}
	for _, tt := range tests {
		var r Recent
		at := t0
		for _, m := range tt.context {
			r = r.Add(c.ClassifyIn(m, r, at), at)
			at = at.Add(time.Minute)
		}
		if v := c.ClassifyIn(tt.text, r, at); v.Risk != tt.risk || v.Rule != tt.rule {
			t.Errorf("%q after %q: %s %s %v, want %s %s", tt.text, tt.context, v.Risk, v.Rule, v.Signals, tt.risk, tt.rule)
		}
	}
}

// A bare "no" opening a sentence with a comma answers a question ("are
// you safe?") and denies nothing after it; someone watching a film or
// playing a game is doing it, no story told (rules 2026.12.7.50).
func TestAnswerAndActivity(t *testing.T) {
	c := defaultClassifier(t)
	t0 := time.Date(2026, 12, 1, 22, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		context []string
		text    string
		want    Risk
	}{
		{nil, "no, quiero morirme", RiskCrisis},
		{nil, "non, je veux mourir", RiskCrisis},
		{[]string{"my ex is outside my door with a knife"}, "no, he has a knife", RiskCrisis},
		{nil, "no, he has a knife", RiskElevated},
		{nil, "no, im not going to kill myself", RiskNone},
		{nil, "no, no quiero matarme", RiskNone},
		{nil, "no quiero morirme", RiskNone},
		{nil, "he's back, he's got the knife, he's watching a film downstairs", RiskCrisis},
		{nil, "il est revenu, il a un couteau, il regarde la télé en bas", RiskCrisis},
		{nil, "mi ex tiene un cuchillo y esta abajo viendo una peli", RiskCrisis},
		{nil, "im watching a film where he holds a knife to her throat", RiskNone},
		{nil, "estamos viendo un documental de un hombre que estranguló a su mujer", RiskNone},
	} {
		var r Recent
		at := t0
		for _, m := range tc.context {
			r = r.Add(c.ClassifyIn(m, r, at), at)
			at = at.Add(time.Minute)
		}
		if v := c.ClassifyIn(tc.text, r, at); v.Risk != tc.want {
			t.Errorf("%q after %q: %s (%s %v), want %s", tc.text, tc.context, v.Risk, v.Rule, v.Signals, tc.want)
		}
	}
}

// A wish belongs to what follows it: a death already wished (and denied)
// before is not wished again by a later "want" ("no quiero morirme,
// quiero que deje de doler"), while a death named first and wished after
// still is ("je me vois mort ... j'ai envie de le faire") (rules
// 2026.12.7.53).
func TestWishOrder(t *testing.T) {
	c := defaultClassifier(t)
	for _, tc := range []struct {
		text string
		want Risk
	}{
		{"i dont want to die, i want the pain in my back to stop", RiskNone},
		{"no quiero morirme, quiero que alguien me ayude con el papeleo", RiskNone},
		{"je veux pas mourir, je veux juste dormir un peu", RiskNone},
		{"i want to die", RiskCrisis},
		{"me siento muerta por dentro y a veces me gustaría estarlo de verdad", RiskElevated},
		{"i dont want to die but i want to die", RiskCrisis},
	} {
		if v := c.Classify(tc.text); v.Risk != tc.want {
			t.Errorf("%q: %s (%s %v %v), want %s", tc.text, v.Risk, v.Rule, v.Signals, v.Held, tc.want)
		}
	}
}
