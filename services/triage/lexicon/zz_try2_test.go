package lexicon

import (
	"encoding/json"
	"fmt"
	"testing"
)

func TestZZTry2(t *testing.T) {
	l, _ := Default()
	c := NewClassifier(l)
	for _, s := range []string{
		"this traffic is killing me", "my phone is dying", "I killed it at my exam", "I'm dying to see that film", "dead tired", "killing time",
		"I'm not going to kill myself", "I would never kill myself", "not suicidal", "I'm not okay, I want to die", "I can't promise I won't kill myself",
		"I took 2 paracetamol for my headache", "I took 30 paracetamol", "took 30 of my paracetamol", "i killed myself laughing", "kill myself laughing, then I want to die",
		"I tried to kill myself when I was 15", "i tried to kill myself last night", "that's odd", "I want to die", "kys", "sucide", "suicde", "suicidal thoughts",
		"no me voy a matar", "je ne vais pas me tuer", "je veux mourir", "quiero morir", "🪢", "💊", "💊💊💊", "I'm dead 💀", "the doctor gave me 28 tablets for a month",
		"Je suis désespérée", "K I L L  M Y S E L F", "i wanna kiiiilll myselffff",
	} {
		v := c.Classify(s)
		b, _ := json.Marshal(v.Matches)
		fmt.Printf("%-45q %-8s %4.1f %-32s %s\n", s, v.Risk, v.Score, v.Rule, b)
	}
}
