// Package lexicon owns triage's risk model: the versioned per-language
// lexicons (embedded YAML under data/), the normaliser that folds a client's
// text into the form they are written in, and the classifier that turns a
// message, read with its conversation, into an explainable verdict of none,
// elevated or crisis.
//
// # Signals
//
// Every lexicon entry raises one of eight signals, named after the Columbia
// Suicide Severity Rating Scale screener and safeguarding practice (see
// testdata/LABELLING.md): wish_to_be_dead, active_ideation, method, intent,
// plan, preparatory_acts, recent_behaviour, harm_from_others. An entry has a
// sub-kind (a method is named, acquired, prepared or researched, and its
// means are doses, heights, ligature, weapon, traffic, drowning or other;
// harm is a threat, a weapon, proximity, fear, strangulation, sexual abuse,
// grooming, a child afraid to go home or partner violence, and so on).
//
// # Structure beyond phrases
//
// A term can need company: "bought" counts as a method only with a means
// within a few words, in either order ("pills ... bought"); "took" counts as
// recent behaviour only with a count of ten or more before the means ("took
// 30 of my pills", not "500mg"); "I've got them here" counts only after
// ideation, in the message or in the conversation's recent messages.
// Inflection and word order are written as variants and word prefixes
// ("overdos*"); Spanish and French verb forms carry the person ("quiero
// morir" is the writer's, "quiere morir" someone else's).
//
// # Cue classes
//
// Beside its phrases, each language lists broad word-level cue classes
// (data/*.yaml, key cues; cues.go): death words, wish words, means (every
// common medicine, blades, ligatures, heights, rails, water...), acquisition
// and research verbs, quantities, acts done, intent and time markers,
// farewells, giving away, an aggressor's acts, proximity, weapons, a
// child's age, secrecy, fear of going home; and, from the taxonomy rather
// than from examples, being on an edge or a height with no one there,
// past a barrier, bleeding that won't stop (unless an everyday injury is
// named), a poison swallowed, a crash as the means, a message left for
// someone ("it wasn't her fault"), confinement, sexual touch, the act when
// no one is there, thinking out how, a decision with the act named. The
// lexicon's own named means,
// time frames and counts count as cues too. Named cue rules fire when one
// cue of each of their slots stands within cueWindow words, in either
// order ("picked up ... co-codamol", "combien de tercian ... pas me
// réveiller"), and raise a signal at one anchor cue, where negation, the
// past and the person are read as for any term; some rules need the
// conversation (a bare "tonight" after ideation is an intent). A message
// marked as a joke holds what its cues raise, and cues about someone else
// are held, never counted as a third party's crisis. A verdict names a cue
// rule's signal as the term "cue:<rule>" and lists the cue words that made
// it.
//
// Families of the taxonomy rather than phrases (lexicons 2026.12.5 to 2026.12.7): a
// means acquired with what it is for (then I'm done, not for shaving,
// where no one will find me, enough) unless an everyday purpose is named
// (for the whole family, for climbing; "not for camping" names none); a
// means stockpiled or hidden; several shops for enough; a means taken on
// the way to a place, or to a place away from people; the highest or
// deepest researched; someone armed close by (an aggressor, a shout, a
// weapon, proximity) unless an everyday task explains the tool; a blow
// from a partner or a parent, two acts of violence, a threat against
// leaving; letters for each of one's people unless for an occasion;
// suicide in one's thoughts every day; a wish right next to the act
// ("want to $u!c!de", a per-rule window of two words). After ideation in
// the conversation a means at hand, made ready or taken somewhere, a
// presence or a goodbye is the writer's, whomever the words name. The
// normaliser reads "my own life", "mi propia vida", "ma propre vie" as
// "my life", "mi vida", "ma vie".
//
// Generated vocabularies (data/generated/<lang>.yaml) add words to the cue
// classes from lexical resources rather than from examples: every noun
// WordNet 3.0 puts under a medicine, a narcotic, a poison, a rope, a
// firearm, a weapon or a tall structure (and whose first sense is that),
// English verbs with their -s, -ed and -ing forms, Spanish and French
// verbs with every conjugation hunspell's dictionaries give (a past that
// folds into the present, "tomó" as "tomo", left out), the Spanish
// and French spellings of the English medicine and weapon names those
// dictionaries know, and Spanish and French words of their own for what
// WordNet names only in English (weapons: "escopeta", "poignard"), with
// the plurals their dictionaries give. testdata/tools/genvocab writes them (go generate) from its
// sources.yaml, which lists the senses a review dropped. Cue classes are
// a set of 128 bits (cueSet), keyed by name in the YAML, so a new class
// evicts none.
//
// Structure rather than phrases (lexicon 2026.12.7.2, rules 2026.12.7.1):
// someone's hands on the neck; on the edge of a height now; in front of
// what runs one over, with a leap, a wish or the thought of it; fumes
// in a sealed space; a decision, an end and a day; after ideation, "already
// did" is the act done. Person: a writer's ideation written without a
// person ("end it") reads the person around it ("she wants to end it" is
// someone else's), and person cues count only in the message's language
// (the Spanish "he" of "he dejado una carta" is no English "he"). A joke
// marker holds ideation, a method, an intent or a plan at elevated, never
// what was done. Spanish pronouns climb ("me voy a ahorcar" is
// "ahorcarme"), and letters spelled out with wide gaps between words are
// read as words ("j e   v e u x   m e   t u e r").
//
// Lexicon 2026.12.7.3, rules 2026.12.7.2: making sure of one's death
// ("make sure i don't wake up"); the last time anyone bears one;
// everyone better off without one; unable to go on living; someone
// raging and one hiding, or knowing where one lives and coming round.
// Harm or an act told in the Spanish or French imperfect ("me pegaba",
// "m'étranglait") is a past habit; being on a roof for an everyday
// reason (the washing, a party) is no being at the place; an everyday
// absence ("away for work") holds "won't be around".
//
// Lexicon 2026.12.7.4, rules 2026.12.7.3: the act at a place away from
// people ("do it at the quarry"); a means and the place chosen ("i know
// which bridge"); an engine running in a closed garage; stopping the
// heart as a death; a means looked up or bought for an everyday purpose
// (photos, the view, climbing) is no method.
//
// Lexicon 2026.12.7.6, rules 2026.12.7.5: no point in waking up or
// carrying on; the decision and how one is going out; goodbyes timed to
// send; a height looked at for having no fence; a hose to a car with tape
// or an end; a cut past the usual ("to the bone", "not stopping"); a
// threat or blow from a family member with tonight; abuse said as "does
// things to me"; brothers, sisters, carers and mothers' partners as
// aggressors, and death said as "six feet under" or "take me in my sleep".
// Being up high to visit or for the view is no being at the place.
//
// Lexicon 2026.12.7.7, rules 2026.12.7.6: a message that says its past
// is over ("aged 16 I tried..., life is good now") tells every term as
// that past unless it names "tonight"; a "tonight" between a past cue and
// a term starts the present ("stopped years ago but tonight I cut
// again"); a negation before the verb ("never would I"), with "think"
// and "plan" as fillers; a joke denied ("lol no joke") holds nothing; a
// cue rule fires at up to three anchors, so a second blow counts when the
// first is negated ("said he'd never hit me again but he just punched
// me"); not being sure of keeping oneself safe is a self-harm urge.
//
// Lexicon 2026.12.7.8, rules 2026.12.7.7: goodbyes said or things given
// away while hiding why ("without them knowing", "she thinks I'm moving");
// removing oneself from the picture, being no one's problem after
// tonight, being gone before anyone wakes (not for an early flight); a
// peace made with one's end; coping better without one; envying the
// dead, fading or slipping away.
//
// Lexicon 2026.12.7.9, rules 2026.12.7.8: an adult with a hold over a
// child (a teacher, a coach, an older cousin) with two signs of secrecy
// ("on snapchat", "late at night", "delete them"); keys taken and "not
// leaving this flat"; a window broken and someone parked across the road;
// a threat against telling anyone; violence when he drinks; coercive
// control of money as fear. A blow in play ("with a pillow", "a
// snowball", "by accident") is no harm.
//
// Rules 2026.12.7.9 to 2026.12.7.12: signals combine across messages by
// the message rules (see Rules); a denied statement alone is none; a cue
// word inside a statement that it is over ("I'm safe NOW") is that
// statement, no time frame; a past cue among a term's own words ("my ex
// USED TO hit me") tells it as past unless a time or "now" follows.
//
// Lexicon en 2026.12.7.15, es/fr 2026.12.7.14, rules 2026.12.7.14: the
// act unnamed or a decision with an end said of oneself ("i'm going to
// do it. i'm done") is an intent with its purpose; "done" followed by a
// chore ("done procrastinating", "c'est fini les devoirs") is no end;
// "all i can think about" is a persistence.
//
// Lexicon en 2026.12.7.16, es/fr 2026.12.7.15, rules 2026.12.7.15: a
// story or a school piece said in the sentence right after its question
// tells the question ("¿cuánto tarda alguien en morir estrangulado? es
// para una escena"); last month is a past; "no thoughts of" denies.
//
// Lexicon en 2026.12.7.17, es/fr 2026.12.7.16, rules 2026.12.7.16: two
// signs of writing in hiding from someone there ("standing over me while
// I type this. dont call back") are someone close by and fear; a decision
// held against being talked out of it, with a day ("ce sera dimanche.
// essayez pas de me faire changer d'avis"), is an intent.
//
// Lexicon en 2026.12.7.18, es/fr 2026.12.7.17, rules 2026.12.7.17:
// "going to" followed by nothing ("je vais rien faire") is no intent;
// spoken French's "jamais" after the verb negates it ("je me tuerais
// jamais"); nobody doing it ("nadie me pega", "nobody hits me") negates
// it; "cuando era", "quand j'étais" tell a past.
//
// Lexicon en 2026.12.7.19, es/fr 2026.12.7.18, rules 2026.12.7.18:
// embarrassment ("qué oso", "so embarrassing", "trop la honte") marks a
// message as a joke does; "jpp DE cette vie" is exasperation, no laugh.
//
// Lexicon en 2026.12.7.20, es/fr 2026.12.7.19, rules 2026.12.7.19: a
// ligature (cue class ligature) at a point it hangs from (anchor: a door
// handle, a beam, la viga, la poignée de porte), made ready or sat by, is
// a method prepared; "just sitting here" is a presence.
//
// Lexicon en 2026.12.7.21, es/fr 2026.12.7.20, rules 2026.12.7.20: a
// whole supply of medicine (supply_all) taken a short while ago (ago) or
// with the body reacting (symptom) is the act done; a means taken on
// purpose (on_purpose) likewise.
//
// Lexicon en 2026.12.7.23, es/fr 2026.12.7.22, rules 2026.12.7.21:
// drugged by someone ("put something in my drink", "me drogaron", "on
// m'a droguée") is a threat and fear.
//
// Lexicon en/es/fr 2026.12.7.24, rules 2026.12.7.22: a wish to be dead
// with a moment and nobody there ("no quiero seguir viviendo. esta noche
// cuando mi madre se duerma") is a plan; with an end said soon ("cansada
// de vivir. pronto se acaba") an intent; joining the dead ("retrouver
// maman là-haut", "ready to join him, he's been gone 4 years") is a wish
// to be dead, with "going to" an intent; where and when known ("je sais
// où ... je sais quand ... vendredi") is a plan; a leap pictured again and
// again at a place ("cada vez que paso por las vías me imagino
// tirándome") is ideation with its method.
//
// Lexicon en/es/fr 2026.12.7.25, rules 2026.12.7.23: a goodbye hidden as
// it is said ("sans qu'ils captent", "ils savent pas que c'était le
// dernier", "le dije que era por unos días"); a pet entrusted, last wishes,
// life insurance papers, debts paid back as affairs put in order; a
// letter "she'll get after"; thanking the helper for trying as a goodbye;
// a means unnamed (class kit: "the means", "tout le nécessaire", "todo lo
// necesario") with a wish to be dead or after ideation.
//
// Lexicon en/es/fr 2026.12.7.26, rules 2026.12.7.24: false alarms by
// class. A dose taken as the doctor said (cue class prescribed: "like the
// doctor said", "comme le médecin a dit") is the day's dose, and treatment
// talk ("the new meds are really working", "me dan sueño") names no
// method; doses made ready at one's work (job) are a job; a ligature for a
// swing or a hammock is an everyday task; a phone stolen with a child's
// photos (lost) is no grooming, a child groomed through a game still is;
// a purchase or an outing decided (errand: "the red dress") is no intent
// held against others; "the police came", "il est parti" say the danger
// has passed; someone else's words posted ("a girl in my class posted
// 'im going to end it'") are theirs; "pas" after the auxiliary a French
// term ends with negates it ("je l'ai pas fait"). Folded forms that are
// other words: "off myself" is no longer matched as "of myself" ("proud of
// myself"), and the English "i'll" is no person cue, so that the French
// "il" it folds onto reads as the third person it is (not the impersonal
// "il faut", "il y a"); a burden ("he'd be better off without me") stays
// the writer's, and a weapon in someone else's hands still arms a harm.
//
// Lexicon en/es/fr 2026.12.7.27, rules 2026.12.7.25: going to a dangerous
// place not to come back (class no_return: "not coming back down", "me
// meto andando", "jusqu'à plus avoir pied") is an intent and a place; a
// place where being is the danger, with nobody there and a moment, a
// plan; whether a height or an amount is enough, asked for oneself (class
// need_know: "i need to know", "faut que je sache"), research with its
// purpose; enough of a means gathered (have_enough: "ya tengo de sobra")
// with a wish to be dead, a method; the easiest way out or a relief for
// everyone ("la salida más fácil para todos", "la solution la plus simple
// pour tout le monde") is a burden wish.
//
// Lexicon en/es/fr 2026.12.7.28, rules 2026.12.7.26: harm from others as
// it is told. Harassment from hidden numbers ("me escribe de números
// desconocidos", "numéro masqué") and scores to settle ("arreglamos
// cuentas", "régler ça") are threats, so that someone arriving after
// them (the doorbell, his car parked below, "ya escucho su camioneta")
// is harm again; an adult met online (cue class stranger: "the man from
// the game", "un tipo de 30 que conoció en tiktok") with gifts (gift:
// robux, "m'a offert des v-bucks") or secrecy, or with a child and a
// moment, is grooming (not a friend request, not a present for
// Christmas); afraid to go home with the marks of a beating (injury) is
// a child afraid at home, not after rugby; a gun held to the head, a
// break-in, being run off the road, papers hidden and going out
// forbidden, "c'est moi qui prends", "me toca a mí" join their classes.
//
// Lexicon en/es/fr 2026.12.7.29: sleep said for death ("go to sleep
// properly", "m'endormir pour de bon", "quedarme dormida para siempre")
// and a life lived out ("j'ai fait mon temps", "ya viví bastante") are a
// wish to be dead; the world quieter or calmer without one is a burden;
// a purpose left unsaid ("you know what for", "tu sais pour quoi") is
// what a means is for; the train one is not there to board ("pas pour
// monter dedans", "no para subirme"); pets and dependents cared for
// once one is gone ("couldnt leave them with no one", "au moins il aura
// une famille") with a thing given away is a preparatory act.
//
// Lexicon en/es/fr 2026.12.7.30: a denial said after the term and
// doubled ("matarme no, jamás", "kill myself? no, never") negates it;
// "mátame camión", "trágame tierra" are idioms; someone managing without
// one ("il s'en sortira sans moi", "estará bien sin mí") is a burden,
// whatever the pronoun; "c'est ce soir", "es esta noche" next to a wish
// to be dead is an intent.
//
// Lexicon en/es/fr 2026.12.7.31, rules 2026.12.7.27: means and acts as
// they are told. Doses taken named by a pronoun (took_them: "taken them",
// "me las tomé", "je les ai pris") with how many (count: "about 40", "une
// quarantaine", any numeral of ten or more, not of minutes, pages or
// pounds) are the act done; a hanging with what hangs (hanged: "me colgué
// con una sábana") was tried (not "pendue au cou de ma sœur", a hug); a
// height over traffic with it passing under is being at the place; a
// weapon or a ligature for a moment nobody will be there is a plan
// (means_when_alone); a means ready "as soon as I send this" is a final
// act; an adult met online with gifts is grooming whatever occasion the
// message names ("the game", "school" are occasions elsewhere); being at
// a place where one picnics or fishes is no being at the place.
//
// Lexicon en/es/fr 2026.12.7.32, rules 2026.12.7.28: a bite ("my dog bit
// me", "me mordió", "m'a mordu") or a fall is an everyday injury, so the
// bleeding after it is no cut; waiting for someone or the bus on a
// bridge is an everyday reason to be there; "pas" right after a harm's
// verb denies it in French ("il ne me frappe pas"), not "pas mal".
//
// Lexicon en/es/fr 2026.12.7.33, rules 2026.12.7.29: a cut past what was
// meant (overdid: "me pasé", "j'ai trop appuyé") that won't stop, after a
// blade or ideation in the conversation, is a cut done; a brazier is a
// source of fumes; a jerk of the wheel ("coup de volant", "volantazo")
// thought of is a crash as the means; a ligature looked up with the
// thought there all the time is ideation with its method. Clock times
// fold onto "24/7" and "24/24" (numerals fold to sizes), which are no
// longer persistence cues.
//
// Lexicon en/es/fr 2026.12.7.34: wanting everything to end ("je veux que
// tout se termine", "quiero que todo termine", "i want everything to
// end") is a wish to be dead; swallowing the whole box is the act named;
// the place and the time picked is a plan in English as in Spanish and
// French.
//
// Lexicon en/es/fr 2026.12.7.35, rules 2026.12.7.30: how one would do it
// (class how_id: "how id do it", "cómo lo haría", "comment je le ferais"),
// pictured again and again ("every single night", "cada noche"), is
// ideation; followed by anything but a time it comes back ("how i'd do it
// differently at work") it is a task.
//
// Lexicon en/es/fr 2026.12.7.36, rules 2026.12.7.31: a year is a past.
// The normaliser writes four digits from 1900 to 2099 as a year token,
// which "{n}" still matches and which counts as many, and "{y}" matches
// alone: "in {y}", "en {y}", "depuis {y}" are past cues, so "i overdosed
// after my divorce in 2015, ive been well for years" tells a past that is
// over (none), and "in 2015 i overdosed and i still think about it" a
// past (elevated).
//
// Lexicon en/es/fr 2026.12.7.37, rules 2026.12.7.32: an adult met online
// asking what a child wears or telling her to delete his messages (class
// lure, read with a stranger only: not a boyfriend of her age) is
// grooming; a lethal drug ("potassium", "potasio") taken from work with
// what it does known ("je sais ce que ça fait") is a means with its
// purpose.
//
// Lexicon en/es/fr 2026.12.7.38: one's own feelings supposed for some day
// ("if i ever felt", "si algún día tengo", "si un jour j'ai") are a
// hypothetical, so "if i ever felt suicidal would you call the police"
// asks about the service (a condition on leaving, "if i ever leave him",
// and a suicide named as one's own, "i'll kill myself", still count);
// "doesn't" denies ("no he doesnt hit me"), "pensaría" may stand between
// a denial and its term ("nunca pensaría en quitarme la vida"), and a
// span since ("ten years since my attempt", "diez años desde", "il y a
// quelque temps") is a past.
//
// Lexicon en/es/fr 2026.12.7.39: the French masculine "tour" ("le tour",
// "un tour", "mon tour", "faire le tour des magasins") is a turn or a
// round, never "la tour" (a tower, a height): an idiom.
//
// Rules 2026.12.7.33: harm someone else tells of ("says", "dice que",
// "dit que" before it in its sentence) whose verb names a third person as
// its object ("threatened HER", "LA amenazó", "L'A menacée") is theirs:
// "la vecina dice que su marido la amenazó con un cuchillo" is elevated,
// not a crisis. A noun ("la amenaza de mi ex"), harm the writer tells
// ("he threatened her with a knife, she's 6 and hiding with me") and
// anything else in the message about the writer still count.
//
// Lexicon en/es/fr 2026.12.7.42 (ad99723; 2026.12.7.43 since), rules 2026.12.7.34: a death word that
// is a threat cue ("matar", "tuer") inside a term of someone else's
// suicide ("se va a matar", "se iba a matar", "allait se tuer") is that
// person's act, no threat to the writer: "mi hijo me contó que un
// compañero se va a matar con la pistola de su papá" is elevated (a third
// party), "mi ex me dijo que me iba a matar con la pistola" a crisis.
//
// Lexicon en/es/fr 2026.12.7.44, rules 2026.12.7.35: texting spellings
// (key texting of each language: "para" as "pa", "pour" as "pr", "je veux" as "jveux",
// "going to" as "gonna", "tonight" as "2nite") give every phrase of two
// words or more a texted form ("ya sabes pa qué es" is "ya sabes para
// qué es", "jveux sauter" "je veux sauter"); one-word phrases get none,
// since "pa" alone is French's "pas" as much as Spanish's "para". A
// texted form gives way to a phrase written out. "2nite", "tonite",
// "hoy a la noche", "hoy en la noche" are a time frame.
//
// Rules 2026.12.7.36: a means of the cue classes (the generated
// vocabulary's weapons, heights, rails, poisons, ligatures) with a wish to
// be dead or ideation in another clause is a method with its purpose, as a
// means among the lexicon's entries was: "no quiero seguir viva, estoy en
// el andén esperando el tren". It is read at the means, so a means someone
// else holds, a denied or past one and everyday medicine stay held.
//
// Lexicon en/es/fr 2026.12.7.45: means and acquisition by class in each
// language (firearms, farm and household poisons, medicines by kind:
// "escopeta", "fusca", "glifosato", "produit pour les champs",
// "weedkiller"; "agarré", "chopé", "pécho", "grabbed", "got hold of");
// a decision held against being stopped ("nothing's stopping me", "nada
// me va a detener", "rien ne m'arrêtera", "je le referai") is an intent
// only beside a wish, ideation, a plan, a goodbye or an act (a means
// named is not enough: "knife skills class tonight, nothing's stopping
// me"); a third person's overdose by its verb ("se tomó un montón de
// pastillas", "elle a pris plein de cachets"); "estoy arriba DEL
// puente" and Mexican "ando en" are being at the place; a dose said of
// someone else's routine ("sus pastillas de la mañana", "pour son
// rhume") is medicine; "el puente de vacaciones" is a holiday.
//
// Lexicon en/es/fr 2026.12.7.46: a prayer to be taken is a death said
// ("dios mío llévame", "señor llévame", "god take me", "seigneur
// prends-moi"), with a time and "going" an intent; not living to a
// near date ("no voy a llegar a mi cumpleaños", "won't make it to
// christmas", "je verrai pas noël") and being nobody's problem ("je
// serai plus un problème pour personne", "ya no voy a ser un problema
// para nadie": for someone named it is a job, "para mi jefe") are final
// words, in each language as English had some of them.
//
// Lexicon es 2026.12.7.47: Latin American words for the means and the
// place: "quitarme del medio" (Rioplatense for "de en medio"), a bus as
// "bondi", "colectivo", "guagua", "buseta", a lorry as "tráiler",
// "gandola", the underground as "subte", "abajo del" for "debajo del"
// ("me voy a tirar abajo del bondi"), "puente peatonal", "arriba del
// techo", and clonazepam and alprazolam as they are called or misspelt
// ("rivos", "clona", "alplax", "clonasepam"). "El techo" alone is not a
// means (staring at the ceiling), nor "micro" (a microphone).
//
// Lexicon en/es/fr 2026.12.7.50, rules 2026.12.7.40: words in quotation
// marks («», “”, "") are whoever opened them says: the first person cue of
// the sentence before the mark, the subject of what is quoted ("ma sœur
// m'a écrit « je veux plus être là »", "my housemate texted me "..."" are
// someone else's; "i told my mum "i want to die"" stays the writer's),
// and a character's lines are the story's ("le personnage dit « je vais
// me tuer »"); harm stays the writer's. The normaliser reads "œ" and "æ"
// as "oe" and "ae" ("sœur" is the lexicon's "soeur"). A flatmate is
// someone else ("mon coloc", "mi compañera de piso", "my housemate"), and
// someone else having swallowed a whole supply, said by a cue rule ("ma
// coloc a avalé toute sa boîte"), is someone else in danger now, as the
// same said in a term was.
//
// Lexicon en/es/fr 2026.12.7.51: company, a walk or seeing to the roof
// are everyday reasons for being up high (cue class benign: "con mis
// amigos", "a revisar la impermeabilización", "avec mes potes", "pour
// vérifier l'antenne", "with my mates", "to check the roof"), so being on
// a bridge or a roof with them is no being at the place; a wish to jump
// there still counts. Spanish "saltar" alone is a method near a height,
// as English "jump" is ("estoy en la azotea y quiero saltar"). Events
// ("the match", "los fuegos artificiales") were tried and left out: they
// are when everyone else is busy in a plan ("saturday when everyone is at
// the match").
//
// Rules 2026.12.7.44: a message that names a story, a film or a school
// piece (a media or hypothetical cue) and no time, day, place, means,
// act, decision, goodbye or danger reads no bare cue through the
// conversation and does not continue its crisis: "ah non mais c'est pour
// le film qu'on tourne avec la classe" after a question about a fake
// knife wound is no intent, "du coup c'était le film" after a scene with a
// knife is over; "the plan is sunday night after the game when no ones
// around at the reservoir" after ideation is still a plan.
//
// Lexicon en/es/fr 2026.12.7.52: a season, a term or a year gone by is a
// past ("last winter", "el verano pasado", "l'hiver dernier", "l'an
// dernier"), so "last winter i thought about ending it. counselling
// helped, i'm in a good place now" is a past over; "nunca he", "jamás
// he" negate as "nunca" does ("nunca he pensado en suicidarme"), and the
// Spanish and French perfect's auxiliaries ("ha", "hemos", "había";
// "ai", "eu") are negation fillers ("he" and "has" are not: they are
// English words).
//
// Lexicon en/es/fr 2026.12.7.53, rules 2026.12.7.49: a joke marker is
// denied wherever its negation stands among its words, in each
// language's order ("no es broma", "no estoy bromeando", "jrigole pas",
// "c'est pas une blague", "this isn't a joke"), so the message is meant;
// the negation that denies it negates no term after it ("je rigole pas
// je veux me tuer"); "je rigole pas mal" is a laugh, still a joke.
//
// Rules 2026.12.7.50: a bare "no" or "non" opening a sentence with a
// comma or a "!" after it answers a question and denies nothing of what
// follows ("are you safe?" "no, he has a knife"; "no, quiero morirme";
// "non, je veux mourir"); a denial of its own still denies ("no, i'm not
// going to"). A media cue someone is watching or playing ("he's watching
// a film downstairs", "il regarde la télé en bas") is what they are
// doing, no story told, and hides no harm; "a film where he...", "un
// documental de un hombre que..." are still the film's.
//
// Rules 2026.12.7.53: a wish belongs to what follows it. The cue rules
// that pair a wish with a death or a suicide (wish_death, wish_suicide,
// means_wish_death) read in either order, so "no quiero morirme, QUIERO
// que las cosas cambien" paired the second, undenied "quiero" with the
// denied death and raised a wish to be dead; a death word that a wish
// word already precedes now belongs to that one, and a death named
// first and wished after still counts ("je me vois mort ... j'ai envie
// de le faire", "muerta por dentro ... me gustaría estarlo").
//
// Ordinary words are never enough on their own: a rule over everyday
// words needs a risk word too (a death, a wish to be dead, no one there)
// or the conversation's ideation ("I'll do it when the house is empty"
// is a plan after "I want to die", not after "the kitchen needs a deep
// clean"). A person after a preposition is whom an act is for, not who
// does it ("wrote a letter TO my mum").
//
// # Matching
//
// Terms and cues are found word by word (wordmatch.go): each word of the
// normalised text is hashed once and looked up, and phrases are paths in
// a trie of word ids, so the cost per message is a few look-ups per word
// whatever the lexicon's size.
//
// # Modifiers
//
// Cues change what a term means: whom it is about (the nearest self or
// third-party cue before it: "my friend said she wants to die"), negation
// (a cue right before it, in its sentence), the past ("when I was 15";
// "I'm fine now" makes it resolved), a time frame ("tonight"; "today" for an
// intent), a story or the news ("in my novel", "a documentary about"),
// everyday medicine ("for my headache"), idioms ("this exam is killing me"),
// jokes ("lol"). A qualified signal is held: listed in Verdict.Held, never
// raised.
//
// # Rules
//
// The verdict is decided by named rules over the signals raised (rules.go),
// in order, first match wins: recent behaviour; harm that is immediate on its
// own (strangulation, sexual abuse, grooming, a child afraid at home, partner
// violence) or two of threat, weapon, proximity and fear; active ideation;
// method with intent or with a purpose; a prepared method; a method acquired
// or researched with a time frame; a plan; intent with a time frame; a
// preparatory act; someone else in immediate danger: crisis. A wish to be
// dead, self-harm urges, harm, intent or an acquired method alone, someone
// else's risk, a negated term or one in an unresolved past: elevated. The
// rest is none. With the conversation (ClassifyIn and Recent), the same
// rules read the message's signals together with those its earlier
// messages raised within Options.ContextWindow (two hours): a means now
// and a wish to be dead earlier, a wish now and a means or intent earlier,
// a goodbye now and intent earlier are a crisis, named after the rule with
// "_across" and listing the earlier signals it needed (Verdict.Earlier),
// when the message's own signals are needed for it. An earlier signal that
// was negated, past, someone else's or in a story was never raised and is
// not carried; a message that says it is over adds nothing. A second
// elevated message about the writer within Options.RepeatWindow (30
// minutes) is a crisis. A conversation in crisis stays in crisis (rule
// crisis_ongoing, rules 2026.12.7.13): a message right after a crisis
// verdict, within the repeat window, is a crisis unless it says it is
// over, denies, jokes, is an idiom or tells a past, a story or the news
// ("hes coming up the stairs" after a threat against telling, "its
// starting to give. please" after "hes kicking the door"). Every
// verdict records its signals, the lexicon's canonical terms that raised
// them (never the client's words), the rule, and the lexicon and rules
// versions. A statement of wanting or going to, denied and nothing else
// ("I'm not going to kill myself", "not suicidal, just need to vent") is
// none, as the labelling guide says, unless it names a time frame or the
// conversation raised signals earlier; any other negated term holds the
// verdict at elevated.
//
// # A learned second opinion
//
// Beside the rules, the shipped lexicon can carry a small learned model
// (WithModel; model.go, weights in data/model.bin, 32 KB): a logistic
// regression over hashed features of the normalised text (each word, each
// pair of adjacent words, each group of three and four letters inside a
// word, so that an inflection, a misspelling or an obfuscation of a known
// word shares most of its features), 32,768 weights of one byte. It only
// raises: a message the rules did not judge a crisis is one, rule "model",
// when the model's probability reaches the threshold stored with its
// weights, unless the rules found signals and held every one of them
// (negated, past, someone else's, in a story) or read the words as an
// idiom (heldOnly: the rules read person, negation, time and figures of
// speech, which a bag of features cannot). It never lowers a
// verdict and never reads the conversation (a
// raised message is carried on by the rules, crisis_ongoing, whose Earlier
// then names "model": the crisis it continues has no signals, and the
// verdict it continues lists the model's words and probability; the
// conversation's entry records that the model raised it,
// RecentEntry.Model, never the words). A raised
// verdict keeps the rules' signals and matches and lists up to three
// words that weighed most, category and kind "model", term "model
// <ModelVersion> p=<probability>". Every verdict of a classifier with the
// model records ModelVersion; data/versions.sum holds the weights' hash
// under it (TestVersionsSum). Only WithModel adds it: Default, Parse and
// FromFS give none.
//
// It ships switched on: the service classifies with Default().WithModel()
// (internal/app.TriageLexicon; `helpline triage explain` too), unless the
// operator sets HELPLINE_TRIAGE_MODEL=off, which leaves the rules alone.
// The lead switched 2026.12.7.2 on from three measures that agree: the
// frozen corpus (never tuned on), rules 0.807 (348/431) false-crisis 0.029
// (17/586), rules and model 0.847 (365/431), 0.029 (17/586); the blind h
// writers (written after it, unseen by anyone tuning), 0.686 (335/488)
// 0.052 (30/581) -> 0.756 (369/488) 0.053 (31/581), 34 crises fewer
// missed for one false alarm more; and the twelve folds below,
// 0.781/0.019 -> 0.829/0.021. With ModelVersion 2026.12.7.1 (trained on
// nine writers, budget 0.005, no heldOnly) the frozen corpus had gone
// from 0.807/0.029 to 0.845/0.032, past issue 12's 0.03, and the g
// writers, then unseen, from 0.769/0.044 to 0.833/0.054: the threshold,
// chosen on the writers it was trained on, did not hold on a new one;
// 2026.12.7.2 is chosen so that it does (below). The package's tests
// classify with the model (defaultClassifier, what ships), so every
// evaluation, TestEvaluationFrozen included, measures the shipped triage;
// HELPLINE_TRIAGE_MODEL=off reads them by the rules alone ("go test -run
// TestEvaluationValidation -v"). The tests of the rules themselves
// (TestClassifyIn, TestGeneralisingRules) classify by the rules alone.
//
// Known false alarms of the shipped model: calm messages of the rules'
// own tests, which the rules judge none and the shipped classifier raises
// to crisis, rule "model" (no guard is fitted to them; TestClassifyIn and
// TestGeneralisingRules assert them none by the rules): "i've got them
// here" alone (after "hello"), long after someone's ideation (three hours
// after "i want to die") and after someone else's ("my friend said she
// wants to die"), the model reading the message alone; "already did,
// thanks" after "what time do you open"; "j'ai des bleus partout après le
// rugby, je veux pas rentrer tout de suite". Short fragments of the words
// crises are written in, which the model reads without person, time or
// context (Its limits, below).
//
// Its features do not read the lexicon, so a lexicon change leaves the
// weights valid: the model is a second opinion the phrases do not steer,
// trained on the writers the rules were tuned on and judged on writers it
// was not. testdata/tools/trainmodel trains it (deterministically, fixed
// seed and order) on the development data: dev.jsonl and the batches as
// three writers by line, and validation a, b, d, e-en, e-es, e-fr, f-en,
// f-es, f-fr, g-en, g-es, g-fr, one writer each; never the frozen corpus
// or a corpus not yet measured (the h sets). Those are all the labelled
// development corpora there are: the model uses every one. The threshold
// is chosen out of fold: each writer is scored by a model trained on the
// others, and the threshold is the lowest at which the model's own false
// crises stay within ModelBudget, 0.3% of the calm messages. A false
// crisis of its own is a calm message the rules did not judge a crisis
// that the model raises, or that follows a context message it raised
// (the rules carry that crisis on: "what's even the point" after "and my
// wife's gone", which the model raised, "son las invitaciones de la boda"
// after "ya deje las cartas"); the context messages are read as the
// service reads them, and a carry counted even where the message would
// end it, so the count errs high.
//
// TestModelLeaveOneWriterOut measures what matters, generalisation to a
// writer neither has met: for each validation writer, a model trained on
// every other writer with its threshold chosen on those alone, then the
// writer's messages read as the service reads them. At ModelVersion
// 2026.12.7.2 (lexicon en/es/fr 2026.12.7.53, rules 2026.12.7.54; recall,
// then false-crisis rate; added: the false crises the model added):
//
//	writer crisis  calm   rules         model alone   rules+model   added  threshold p
//	a         135   195   0.978 0.000   0.378 0.005   0.978 0.000       0  0.975
//	b         135   195   0.926 0.000   0.296 0.000   0.933 0.000       0  0.976
//	d         245   285   0.914 0.000   0.282 0.000   0.935 0.000       0  0.980
//	e-en      171   202   0.702 0.005   0.199 0.000   0.743 0.005       0  0.981
//	e-es      178   212   0.781 0.005   0.247 0.000   0.837 0.005       0  0.977
//	e-fr      181   219   0.635 0.014   0.238 0.000   0.707 0.014       0  0.978
//	f-en      176   204   0.824 0.020   0.415 0.005   0.881 0.025       1  0.980
//	f-es      185   220   0.692 0.027   0.254 0.000   0.751 0.027       0  0.978
//	f-fr      183   215   0.634 0.033   0.301 0.005   0.721 0.037       1  0.979
//	g-en      164   202   0.762 0.025   0.329 0.005   0.823 0.030       1  0.978
//	g-es      163   214   0.767 0.051   0.491 0.019   0.834 0.061       2  0.976
//	g-fr      157   198   0.790 0.051   0.357 0.000   0.834 0.051       0  0.979
//	pooled   2073  2561   0.781 0.019   0.312 0.003   0.829 0.021       5
//
// The same twelve folds by 2026.12.7.1's method (budget 0.005, no
// heldOnly, context not counted; rules 2026.12.7.50): pooled 0.846/0.025, 14
// false crises added (0.0055 of calm), g-en 0.025 -> 0.045 (+4), g-es
// +4, f-en and f-fr +2. So the model now buys 4.7 points of recall on a
// new writer (0.781 -> 0.829), 1.7 fewer than before, for 0.2 points of
// false crises instead of 0.55, and takes no writer past 0.03 that the
// rules kept within it (g-en is at 0.030, one message from it).
//
// The test fails when the pooled recall with the model falls below 0.820,
// the false crises it adds rise above 0.003 of the calm messages, or a
// writer's false-crisis rate passes 0.03 with the model where the rules
// kept within it. The
// model stays silent on a message of fewer than 16 features, in which
// the lexicon knows no word, or which is not made of words: fewer than
// three distinct words of two or more letters, or such words fewer than
// its numbers and single letters; and
// words of one letter give no features (FuzzClassify found single letters,
// and strings of digits and capitals, raised). The
// rules' column flatters the rules: they were tuned on every one of these
// writers (a, b, d most), while the model is held out; on a new writer the
// rules miss more, and the model's share is likely larger.
//
// Its false crises on held-out writers at 2026.12.7.2, by why (the five of
// the table): carried on from a context fragment it raised (2: "what's
// even the point" after "and my wife's gone"; the wedding invitations
// after "ya deje las cartas"); someone else's wish the rules did not see
// as someone else's ("mon grand-père ... dit tous les jours qu'il veut
// qu'on l'aide à partir"); an urge to hurt oneself, labelled elevated
// ("quiero pegarme, darme golpes contra la pared"); everyday distress
// ("homesick, miss my amma's cooking and nobody here understands me").
// Those heldOnly removed, at the budget before: someone else's words or
// risk ("my dad ... said he's been thinking about ending it. He says he
// won't"), a denial ("no pienso en quitarme la vida, pienso en cambiar de
// carrera"), a past resolved ("i wrote a goodbye letter once when i was
// 16").
//
// What was tried for 2026.12.7.2, by the same measure (twelve folds,
// rules 2026.12.7.48, in a scratch harness not kept: the folds' models
// trained once, then each policy's threshold chosen on the inner folds;
// pooled recall with the model, false crises added of 2561 calm, writers
// taken past 0.03): budgets 0.005, 0.004, 0.003, 0.002 with nothing else
// 0.845/14/g-en, 0.835/12/g-en, 0.827/9/none, 0.815/7/none; a threshold
// per language (en, es, fr, by the lexicon's language of the message)
// lost recall at every budget for the same false crises (0.818/7 at
// 0.003), each language's calm messages too few to place it; a threshold
// that keeps every training writer within the budget rather than their
// pool, 0.820/7 at 0.01 and 0.807/4 at 0.005; silence where the rules
// held every signal (heldOnly) 0.836/8/g-en at 0.003 and, with the
// context counted, 0.827/5/none (kept); silence where the rules held any
// signal, 0.827/7/g-en with the context counted; silence where a negation,
// third-party, past or resolved cue was found (the modifiers tried before
// at budget 0.01, now for this bound) 0.833/9/g-en, and heldOnly with a
// modifier 0.831/8/g-en; training on the messages the rules miss only
// (the rules' crises left out, so that it learns where it is used),
// 0.829/10/none at 0.003 and worse below, 0.840/17/f-en at 0.005.
// Calibration (Platt scaling or isotonic) moves no message across a single
// threshold, so was not tried. The differences between the guards are one
// to four messages: the budget, the context counted and heldOnly are
// kept because each is reasoned and none lost recall at its budget.
// heldOnly also keeps the model off a message the rules read as an idiom
// (rule idiom_suppressed, which holds no signal: "je veux en finir avec
// ces devoirs ce soir" was raised, TestGeneralisingRules with the model);
// the table above did not move with it. With the model, as with
// 2026.12.7.1, TestClassifyIn and TestGeneralisingRules would fail: the
// model raises fragments the rules' tests want none (Known false alarms,
// above), so those two tests classify by the rules alone.
//
// What was tried for 2026.12.7.1, by the same measure (a scratch harness, not
// kept, at lexicon 2026.12.7.49; pooled over nine writers, budget 0.01
// unless said; the rules alone 0.782/0.017 then): features of the rules' own
// findings (rule, signals raised and held, match categories, the
// context's signals) with the text, 0.865/0.030, and alone 0.810/0.033,
// against the text alone 0.870/0.025: the text carries what generalises.
// Letting the model raise only an elevated verdict to crisis, 0.826/0.025,
// or only a message with a signal raised or held, 0.840/0.025, gained less
// for the same false crises; keeping it silent where the rules found a
// modifier (past, story, news, idiom, joke, medicine) gained nothing, with
// negation and third parties too it lost recall. Budgets 0.0025, 0.005
// and 0.01 (the text alone, raising any message): 0.831/0.020,
// 0.850/0.022, 0.870/0.025. 2^18 weights and letter groups of three to
// five did no better than 2^15 and three to four. A per-signal model tried
// earlier (git log -- model.go, removed in 73aa0f5) was trained on the
// lexicon authors' own corpora only and judged on two writers; it raised
// one crisis in 270.
//
// Its limits. Out of its training's distribution a bag of features can
// score anything: FuzzClassify found strings of digits and capitals
// ("00A2A12A2A2A...") raised to crisis, now kept from it by the guard on
// what a message is made of (wordy, above), which is reasoned, not
// fitted; text made of real-looking words it never saw can still score
// anything. A crisis the model raised is carried on by crisis_ongoing
// naming "model" among the earlier (rules 2026.12.7.48); as for the
// rules, a chain of carried messages names only what the entries within
// the repeat window raised. The model is a bag of
// features: it reads no negation, person,
// time or story, so a threshold this high is what keeps it off calm
// messages. A short fragment read alone ("and my wife's gone", "i know its
// dumb") can score as high as a crisis: the service reads each message
// alone, so it raises the fragment and the rules carry it. What the
// shipped model raises on its own training writers
// (a picture of what it does, not a measure) are crises where the rules
// found a signal short of a rule ("ive got the razor blades out and i want
// to use them", "I looked up the height of the Story Bridge today. its
// enough") or nothing ("the train comes past at 11:40 and doesn't stop
// here"). Its false crises fall on the calm messages that look most like
// crises. Twelve writers are
// few: the threshold moves by a point between folds, a writer's bound of
// 0.03 is a message or two (g-en's six of 202), and a writer unlike
// all twelve is not measured. Training recomputes in floating point; on
// another architecture (fused multiply-add) the weights may differ in the
// last bit, so the test retrains rather than compares bytes. Cost, under
// cachegrind (Speed's recipe, short set): some 760 instructions a short
// message the rules do not judge a crisis (one pass over each word's
// bytes, two letter groups a byte, one table read each); in all 11,830 ->
// 12,925 instructions a short message with the model (+9%) at rules
// 2026.12.7.43's engine, 11,932 without it (+1%: the verdict's new field).
//
// # Speed
//
// BenchmarkClassify reports messages per CPU-second on one core; its
// "short" set (the development corpus's messages of at most 40 bytes) is
// issue 12's figure. BenchmarkClassifyVsRegexBaseline times the classifier
// against one alternation of the lexicon's phrases. `make
// profile-classify` prints the top of BenchmarkClassify/short's CPU and
// allocation profiles. CPU time on the shared two-core machine moves by a
// third from run to run; instructions do not, so a change to the engine
// is weighed under cachegrind: the short set classified once and 21
// times, the difference (20 passes of 626 messages) per message and by
// function.
//
//	go test -c -ldflags=-compressdwarf=false -o /tmp/lexicon.test ./services/triage/lexicon
//	cd services/triage/lexicon
//	for n in 1 21; do GOGC=off GOMAXPROCS=1 valgrind --tool=cachegrind --cachegrind-out-file=/tmp/cg.$n \
//		/tmp/lexicon.test -test.run '^$' -test.bench 'Classify$/short' -test.benchtime ${n}x -test.cpu 1; done
//	cg_diff /tmp/cg.1 /tmp/cg.21 > /tmp/cg.d && cg_annotate --auto=no /tmp/cg.d
//
// (Valgrind stops with SIGILL on the runtime's RDTSCP when a lock spins:
// run that pass again.) At rules 2026.12.7.25 a short message costs about
// 13,100 instructions: the matcher 3,000 (its table look-ups are most of
// the classifier's own cache misses, some 11 of 35 a message with the
// runtime's), the normaliser 2,100, the cue rules 1,700, listing
// the matches 1,000 (and the verdict's one allocation, its Matches),
// recording hits 850, qualifying 500. Issue 12's speed work took 18,000
// to 13,800 at rules 2026.12.7.21 and 13,900 to 13,100 at 2026.12.7.24,
// some 28% fewer in all; BenchmarkClassify/short went from some 205,000
// to 290,000 messages per CPU-second in the same run (medians of three,
// load 9 to 11).
//
// The pass count of the 21x run is read off a function that runs only in
// the benchmark (scan): some runs hold 21 passes, not 20. The runtime's
// share (the garbage collector after the verdicts' Matches) moves from run
// to run; the package's own functions do not. At rules 2026.12.7.33 the
// package's own instructions are 12,100 a short message (12,700 before
// three cuts: cue sets built once, a span per word rather than per byte,
// no call for dropOwn): the matcher 2,700 and its word look-up 360, the
// normaliser 1,500, the cue rules' first pass 980 and rulesMayFire 560,
// listing the matches 980, recording hits 850, qualifying 540. CPU time,
// though, goes mostly to cache misses in the matcher's tables and the
// classifier's: under perf (cpu-clock; perf annotate), about 40% of
// scan's samples wait on the edge table's slot, 25% on the node a walk
// reaches, half of recording a hit on the pattern's record, most of the
// word look-up on its slot; fewer instructions alone moved
// BenchmarkClassify/short by less than the noise at load 9 to 12.
//
// Cache misses are counted by the same recipe with --cache-sim=yes
// --D1=49152,12,64 --LL=1048576,16,64: Zen 5's 48 KB L1d and, as the
// "LL", its 1 MB L2 (the machine's L3 is not simulated). At rules
// 2026.12.7.37 the trie is one array of node records, each holding its
// patterns' patInfo and its edges (wordmatch.go), so the next word's step
// along a walk and a match's record are in the lines read when the walk
// reached the node; the edge hash table (786 KB), the node table (487 KB)
// and the pattern table it replaced were most of the matcher's misses.
// Per short message, at main 73ab20c before and after: the package's own
// D1 misses 32.9 -> 29.2 and L2 misses 2.9 -> 1.5, its instructions
// 12,250 -> 12,490 (the emit callback takes a node's patterns at once);
// with the runtime's, D1 misses 40.4 -> 38.3 and L2 misses 7.2 -> 6.2, of
// which some 4 are the runtime clearing fresh heap under GOGC=off, which
// a collected heap does not do. A word slot padded from 24 to 32 bytes,
// so that none straddles two lines, took the word look-up's D1 misses
// from 5.6 to 4.8 a message (the package's own 29.2 -> 27.7). What is
// left: the word look-up, 4.8 (some 10,800 words in 32,768 slots, 1 MB;
// at three quarters full it missed more, not less), reaching a
// walk's first node from its word's slot (most of scan's 7.0), a node's
// table of more than four edges (childIn, 2.4), the cue rules (cooccur,
// 3.0); and some 80 to 100 I1 misses a message, the classifier's code
// overflowing the 32 KB L1i, as many again as the data's.
// The fewer misses did not show in time. BenchmarkClassify at 73ab20c
// and with the records and padded slots (e31d2ed's engine), test
// binaries built once and run alternately three times each at load 1.9
// to 2.2 (medians, msgs/cpu-s): short 434,000 and 442,000, dev 269,000
// and 267,000, 80B 121,000 and 120,000; the classify figure of
// BenchmarkClassifyVsRegexBaseline (cold caches) 146,000 and 145,000.
// At load 12 to 25 the same pairs differed by up to 44% from round to
// round, either way. Likely, in the benchmark's loop the tables stay in
// the L2 and L3 whatever their layout, and the L1 misses the records save
// were already hidden by the out-of-order core (not measured: the virtual
// machine has no hardware counters for perf stat). Issue 12's 500,000 a
// second is not reached: some 2.3 µs a short message, for some 12,500
// instructions.
//
// Fewer instructions, then (issue 12, rules 2026.12.7.41 to .43, main
// 9e3298e). Under the recipe above a short message costs the package
// 11,100 instructions of its own, 11,800 with the runtime's: 12,570 and
// 13,360 at fe0c393 (rules .39), 12,490 and 13,190 at 2cb8a74 (rules .40,
// which read quotation marks), some 11 to 12% fewer. The matcher reads a
// word eight bytes at a time (readWord: its end, by the first space in
// the eight, its hash and its head in one load for a word of up to seven
// bytes; whole words are keyed by a multiply per eight bytes, the
// prefixes keep FNV-1a's running hash) and probes the word's first slot
// inline: scan and its look-ups 2,850 -> 2,420. rulesMayFire ORs its
// slots written out (560 -> 190); quotedOther looks for a quotation mark
// once a message and by byte (330, and some 180 of the runtime's string
// search, -> 60); the normaliser's letter run also begins a word (1,500
// -> 1,350); collect counts the hits' languages as it finds them; decide
// and gather skip the passes a message has nothing for. What is left,
// a short message: the matcher 2,400, the normaliser 1,350 and endToken
// 330, collecting the hits 1,000, the cue rules 970, listing the matches
// 910, qualify 730, contained 440, near 320, gather 230, the pool and
// ClassifyIn's own 230 (and the verdict's one allocation). The
// normaliser's ASCII letter loop is some 17 instructions a letter; the
// same loop writing into spare capacity instead of appending was no
// shorter. BenchmarkClassify, fe0c393 and 9e3298e's test binaries built
// once and run alternately three times each at load 25 to 28 (medians,
// msgs/cpu-s): short 296,000 and 350,000, dev 190,000 and 235,000, 80B
// 87,000 and 102,000; the head ahead in each of the three rounds, by 3 to
// 31%. On the quiet machine short ran at some 440,000 before; whether the
// head reaches 500,000 there is for a quiet run to say.
//
// Skipping what a message has nothing for (rules 2026.12.7.51 and .52,
// main 244a69c). collect ORs each hit's termBits into scratch.kinds: the
// bit of its term's kind, as before, and bits for a signal term with a
// near condition, a signal term naming a means and a report cue (its
// language in the top byte, one load for both). near, resolvedPast and
// reported return at once without what they look for, qualify reads the
// report bit instead of a pass over the hits; contained returns with
// fewer than two hits that are not cues, and matches looks for a cue
// inside a longer one only when two are listed. Under the recipe above,
// the package's own instructions 11,171 -> 10,744 a short message
// (-3.8%; all, with the runtime's, 12,020 -> 11,600) at main 979036c's
// lexicon: near 316 -> 166, qualify 814 -> 729, resolvedPast 111 -> 2,
// contained 441 -> 414, matches 906 -> 880. Tried and dropped, each
// longer: the normaliser's letter run eight bytes at a time (letters,
// repeats and the store by word-wide arithmetic: +475 in all; a short
// message's words are three or four letters, and the wide step costs
// some 45 instructions a read), the run ending its word itself when a
// space follows (+70), the matcher listing the nodes it reached for
// collect to read after it instead of calling emit (+130: the node's
// patterns read twice), a hit written field by field instead of its
// literal appended (+70). What is left, a short message: the matcher
// 2,100 and its look-ups 450 (scan's loop reloads spilled values from
// the stack at every word), the normaliser 1,350 and endToken 330,
// cooccur 960, collect's callback 900, matches 880, qualify 730,
// contained 410, modifiers 280, ClassifyIn 290; some 850 more are the
// runtime's (the pool, the verdict's Matches). The remaining cuts are
// small ones spread over many steps: issue 12's aim of some 10% fewer
// than 11,100 is not reached here. BenchmarkClassify, 979036c's and
// 244a69c's test binaries built once and run alternately three times
// each at load 25 to 29 (medians, msgs/cpu-s): short 267,000 and
// 273,000, dev 191,000 and 173,000, 80B 82,000 and 87,000; x_regex 886
// and 994. Within the noise at that load (one binary's rounds differed
// by up to 18%); a quiet run is to say what 4% fewer instructions give.
//
// cg_annotate reads this toolchain's line tables from a cachegrind file
// of a binary built with -ldflags=-compressdwarf=false (cg_diff's output
// loses them): subtract the 1x file's counts from the 21x file's per
// file and line to see a message's instructions line by line.
// Per line, callgrind works with asynchronous preemption off
// (GODEBUG=asyncpreemptoff=1, --dump-instr=yes), its instruction
// addresses read against go tool objdump's file:line column (callgrind
// read no line of this toolchain's DWARF; cachegrind does, above).
//
// BenchmarkClassifyVsRegexBaseline's classify figure, some 2.5 times
// below BenchmarkClassify/short's, is the same classifier with cold
// caches: each round classifies 63 messages (under a millisecond) right
// after a quarter of a second of the regular expression, so much of the
// round brings the matcher's tables (some 3 MB) and the code back. Read
// with the thread's own CPU clock, the same 63 messages run about twice
// as fast back to back as after a 16 MB sweep of memory, and four to six
// times as fast as after the regular expression (at 7d6b587, load 2.3:
// 540,000, 230,000 and 85,000 a second). It is how a classifier that
// runs now and then beside other work behaves, not one under load: its
// x_regex is the conservative ratio, and BenchmarkClassify/short the
// throughput the issue asks for.
//
// # Versions
//
// Every verdict records the lexicon's version (each language's, from its
// YAML: "en-2026.12.7.43+es-...") and RulesVersion, so a version must name
// one lexicon and one rules code. data/versions.sum holds one line per
// version ever landed, "<what> <version> <SHA-256>", added at its end with
// every bump and never edited: for a language the hash of
// data/<lang>.yaml followed by data/generated/<lang>.yaml (as `cat ... |
// sha256sum` prints it), for "rules" the package's Go code read as tokens
// (comments and layout left out), but its tests and the matcher's engine
// (wordmatch.go, cueindex.go, whose changes keep every match).
// "model <ModelVersion> <SHA-256 of data/model.bin>" names the learned
// model's weights (see "A learned second opinion").
// TestVersionsSum fails, naming the line to add, when the current data's
// hash is not the line of its current version (data or code changed
// without a bump, even a comment in a YAML file) and when a version has
// two lines. Two branches that bump to the same number (a rebase merges
// equal version lines silently, as it did for 2026.12.7.38 and .42) both
// add a line at the end of data/versions.sum: the later one conflicts
// there at its rebase, and keeping both lines fails the test. The later
// change then takes the next number and records its own line. A change
// to the normaliser or the cue rules for speed alone still takes a new
// rules version: the version says which code decided, not whether a
// verdict moved.
//
// # Evaluation
//
// Two corpora, labelled by the same guide (testdata/LABELLING.md): the
// development corpus (testdata/dev.jsonl) the lexicon is tuned on, and a
// frozen test corpus (testdata/frozen/test.jsonl) written first, from the
// guide alone, by someone who has not read the lexicon, and never looked at
// while tuning. eval_test.go prints, for either, crisis recall and the
// false-crisis rate (items labelled none or elevated judged crisis) overall,
// per signal (an item counts towards each of its labelled signals) and per
// language, and the confusion between none, elevated and crisis.
// TestEvaluationFrozen fails below 0.97 recall overall, 0.90 per signal or
// language, above 0.03 false crises, on any crisis with a method judged none
// and on any generic help request not judged none; it prints the table only.
package lexicon

//go:generate go run ./testdata/tools/genvocab
