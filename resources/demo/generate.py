#!/usr/bin/env python3
"""Generates PEFT Studio's demo data (python3 standard library only, deterministic).

  instructions.jsonl  alpaca records (instruction, input, output; a few with a system prompt)
                      built from templates: arithmetic word problems, unit conversions, string
                      reversal, capital letters, letter counting, date formatting, number
                      comparison and sorting, and facts about an invented world (its countries,
                      capitals, rivers and festivals are made up here, so nothing is copied and
                      the model cannot already know them).
  corpus.txt          plain prose about the same invented world and the same skills, one
                      paragraph per blank-line-separated block, for briefly pre-training the demo
                      model before fine-tuning.

Run from anywhere:  python3 resources/demo/generate.py
The outputs are committed; rerunning gives byte-identical files.
"""
import datetime
import json
import os
import random

SEED = 20241126
HERE = os.path.dirname(os.path.abspath(__file__))

NAMES = ["Mia", "Theo", "Lena", "Omar", "Iris", "Jonas", "Nadia", "Pavel", "Rosa", "Kenji", "Ada", "Felix",
         "Greta", "Hugo", "Lila", "Marco", "Nora", "Oskar", "Priya", "Sami"]
ITEMS = ["apples", "pencils", "marbles", "stamps", "books", "shells", "cookies", "coins", "stickers", "tickets"]
WORDS = ["garden", "planet", "window", "silver", "rocket", "candle", "forest", "pillow", "dragon", "castle",
         "anchor", "meadow", "button", "harbor", "lantern", "pepper", "velvet", "marble", "thunder", "orchard",
         "compass", "blanket", "cactus", "falcon", "ginger", "island", "jigsaw", "kettle", "ladder", "magnet"]
PHRASES = ["good morning", "the quick fox", "learning is fun", "small steps", "open the door", "blue sky today",
           "rivers run north", "keep it simple", "tiny models learn", "bright green leaves"]

# The invented world: country -> (capital, river, festival month, main export)
WORLD = {
    "Veloria": ("Tamsk", "the Orrin", "April", "glass beads"),
    "Quenmark": ("Halvid", "the Sesk", "June", "wool"),
    "Dunmere": ("Porlo", "the Amber Run", "October", "salt"),
    "Istravia": ("Kelmont", "the Vey", "March", "copper"),
    "Balthune": ("Sorrey", "the Lisk", "August", "honey"),
    "Morvane": ("Edris", "the Calder", "December", "paper"),
    "Tessaly": ("Unwick", "the Brann", "May", "olives"),
    "Arkenfeld": ("Ostra", "the Dell", "September", "timber"),
    "Corrimar": ("Vasko", "the Pell", "January", "pearls"),
    "Lunevale": ("Grisham", "the Moss", "July", "tea"),
    "Pemberra": ("Ylde", "the Harrow", "November", "clocks"),
    "Sarvonia": ("Beck", "the Tine", "February", "silk"),
}

UNITS = [  # (from, to, factor)
    ("kilometers", "meters", 1000), ("meters", "centimeters", 100), ("kilograms", "grams", 1000),
    ("liters", "milliliters", 1000), ("hours", "minutes", 60), ("minutes", "seconds", 60),
    ("days", "hours", 24), ("weeks", "days", 7), ("meters", "millimeters", 1000), ("years", "months", 12),
]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


def qty(n, unit):
    """'1 hour', '3 hours' (every unit name above is a regular plural)."""
    return f"{n} {unit[:-1] if n == 1 else unit}"


def arithmetic(r):
    name, item = r.choice(NAMES), r.choice(ITEMS)
    a, b = r.randint(2, 40), r.randint(2, 30)
    kind = r.choice(["add", "sub", "mul"])
    if kind == "add":
        q = f"{name} has {a} {item} and gets {b} more. How many {item} does {name} have now?"
        return q, "", f"{name} has {a + b} {item}. ({a} + {b} = {a + b})"
    if kind == "sub":
        a, b = max(a, b) + 5, min(a, b)
        q = f"{name} had {a} {item} and gave away {b}. How many {item} are left?"
        return q, "", f"{a - b} {item} are left. ({a} - {b} = {a - b})"
    a, b = r.randint(2, 9), r.randint(2, 12)
    q = f"There are {a} boxes with {b} {item} in each box. How many {item} are there in total?"
    return q, "", f"There are {a * b} {item} in total. ({a} x {b} = {a * b})"


def conversion(r):
    src, dst, f = r.choice(UNITS)
    n = r.randint(1, 25)
    return f"Convert {qty(n, src)} to {dst}.", "", f"{qty(n, src)} is {qty(n * f, dst)}."


def reverse(r):
    w = r.choice(WORDS)
    kind = r.randrange(3)
    if kind == 0:
        return "Reverse the following word.", w, w[::-1]
    if kind == 1:
        return f"Spell the word '{w}' backwards.", "", w[::-1]
    pair = " ".join(r.sample(WORDS, 2))
    return "Reverse the order of the letters in this text.", pair, pair[::-1]


def capitals(r):
    p = r.choice(PHRASES) if r.random() < 0.4 else " ".join(r.sample(WORDS, 2))
    return "Rewrite the text in capital letters.", p, p.upper()


def count_letters(r):
    w = r.choice(WORDS)
    if r.random() < 0.5:
        return f"How many letters are in the word '{w}'?", "", f"The word '{w}' has {len(w)} letters."
    letter = r.choice(sorted(set(w)))
    n = w.count(letter)
    return (f"How many times does the letter '{letter}' appear in '{w}'?", "",
            f"The letter '{letter}' appears {n} time{'s' if n != 1 else ''} in '{w}'.")


def date_format(r):
    d = datetime.date(2020, 1, 1) + datetime.timedelta(days=r.randint(0, 2000))
    if r.random() < 0.5:
        return ("Write this date in long form.", d.isoformat(), f"{MONTHS[d.month - 1]} {d.day}, {d.year}")
    return (f"Which day of the week was {d.isoformat()}?", "", f"{d.isoformat()} was a {d.strftime('%A')}.")


def compare(r):
    a, b = r.sample(range(1, 100), 2)
    if r.random() < 0.5:
        return f"Which number is larger, {a} or {b}?", "", f"{max(a, b)} is larger."
    nums = r.sample(range(1, 100), r.randint(3, 6))
    return ("Sort these numbers from smallest to largest.", ", ".join(map(str, nums)),
            ", ".join(map(str, sorted(nums))))


def world_fact(r):
    country = r.choice(sorted(WORLD))
    capital, river, month, export = WORLD[country]
    kind = r.randrange(4)
    if kind == 0:
        return f"What is the capital of {country}?", "", f"The capital of {country} is {capital}."
    if kind == 1:
        return f"Which river flows through {country}?", "", f"{river[0].upper() + river[1:]} flows through {country}."
    if kind == 2:
        return (f"In which month does {country} hold its lantern festival?", "",
                f"{country} holds its lantern festival in {month}.")
    return f"What does {country} export most?", "", f"{country} exports mostly {export}."


TASKS = [arithmetic, conversion, reverse, capitals, count_letters, date_format, compare, world_fact]
SYSTEM = "You are a brief, exact assistant. Answer in one sentence."


def instructions(r, count=480):
    seen, out, tries = set(), [], 0
    while len(out) < count:
        task = TASKS[(len(out) + tries // 20) % len(TASKS)]
        instruction, inp, output = task(r)
        if (instruction, inp) in seen:
            tries += 1  # after 20 repeats in a row, move on to the next task
            continue
        tries = 0
        seen.add((instruction, inp))
        rec = {"instruction": instruction, "input": inp, "output": output}
        if r.random() < 0.1:
            rec["system"] = SYSTEM
        out.append(rec)
    return out


def corpus(r, paragraphs=220):
    out = []
    countries = sorted(WORLD)
    for i in range(paragraphs):
        c = countries[i % len(countries)]
        capital, river, month, export = WORLD[c]
        n1, n2 = r.randint(2, 30), r.randint(2, 30)
        name, item, w = r.choice(NAMES), r.choice(ITEMS), r.choice(WORDS)
        src, dst, f = r.choice(UNITS)
        k = r.randint(1, 12)
        sentences = [
            f"{c} is a quiet country whose capital is {capital}.",
            f"The river {river[4:]} runs through {c}, and boats carry {export} down to the sea.",
            f"Every year in {month} the people of {capital} hold a lantern festival.",
            f"At the market {name} counted {n1} {item}, then found {n2} more, so there were {n1 + n2} in all.",
            f"One of the traders said that {qty(k, src)} is the same as {qty(k * f, dst)}.",
            f"A child wrote the word {w} on a slate and then wrote it backwards as {w[::-1]}.",
            f"The word {w} has {len(w)} letters, and in capital letters it is {w.upper()}.",
        ]
        r.shuffle(sentences)
        out.append(" ".join(sentences[: r.randint(4, 7)]))
    return out


def main():
    r = random.Random(SEED)
    recs = instructions(r)
    with open(os.path.join(HERE, "instructions.jsonl"), "w", encoding="utf-8", newline="\n") as f:
        for rec in recs:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    paras = corpus(r)
    with open(os.path.join(HERE, "corpus.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n\n".join(paras) + "\n")
    print(f"instructions.jsonl: {len(recs)} records; corpus.txt: {len(paras)} paragraphs")


if __name__ == "__main__":
    main()
