"""The word matcher: what it catches however it is spelled, and the harmless words it leaves."""

from __future__ import annotations

import pytest

from app.rules import WordMatcher
from app.rules.starter import starter_words
from app.rules.words import parse_pattern

ENGLISH = WordMatcher(["ass", "cunt", "rapist", "cock", "dick", "anal", "rape", "fuck", "shit"])
GERMAN = WordMatcher(["anal", "spasti", "schwanz", "arsch", "fotze", "fick", "möse", "scheiße"])
BOTH = WordMatcher(dict.fromkeys([*ENGLISH.patterns, *GERMAN.patterns]))
STARTERS = WordMatcher([*starter_words("de"), *starter_words("en")])


@pytest.mark.parametrize("text", [
    "The class of 2025", "an assassin in the library", "Scunthorpe United won",
    "my therapist says hi", "a cocktail at the bar", "reading Dickens", "data analysis",
    "grape juice", "Passau and Essen", "Bass guitar", "hancock", "Shitake? no: shiitake",
])
def test_english_words_that_contain_a_blocked_word_are_not_caught(text: str) -> None:
    assert ENGLISH.find(text) == []


@pytest.mark.parametrize(("text", "word"), [
    ("what an ass", "ass"), ("you cunt", "cunt"), ("a rapist", "rapist"), ("Cock!", "cock"),
    ("dick move", "dick"), ("anal", "anal"), ("RAPE", "rape"), ("fuck this", "fuck"),
    ("bull-shit", "shit"), ("(shit)", "shit"), ("#fuck", "fuck"),
])
def test_english_blocked_words_are_caught_as_whole_words(text: str, word: str) -> None:
    assert ENGLISH.find(text) == [word]


@pytest.mark.parametrize("text", [
    "Die Analyse der Zahlen", "Kanal 5", "Spastik ist eine Bewegungsstörung",
    "die Schwanzflosse des Wals", "die Arschkarte gezogen", "Herr Fickel kommt",
    "Mose und Aaron", "Moses", "Wir fickeln nicht",
])
def test_german_words_that_contain_a_blocked_word_are_not_caught(text: str) -> None:
    assert GERMAN.find(text) == []


@pytest.mark.parametrize(("text", "word"), [
    ("So ein Spasti", "spasti"), ("Fotze", "fotze"), ("Fick dich", "fick"),
    ("am Arsch der Welt", "arsch"), ("Schwanz", "schwanz"), ("Möse", "möse"),
    ("Moese", "möse"), ("MÖSE", "möse"), ("Scheiße!", "scheiße"), ("scheisse", "scheiße"),
    ("SCHEISSE", "scheiße"), ("SCHEIẞE", "scheiße"),
])
def test_german_blocked_words_are_caught(text: str, word: str) -> None:
    assert GERMAN.find(text) == [word]


def test_a_wildcard_at_the_end_catches_every_word_starting_so() -> None:
    matcher = WordMatcher(["arsch*", "scheiß*"])
    assert matcher.find("Arschkarte, Scheißwetter") == ["arsch*", "scheiß*"]
    assert matcher.find("Arsch") == ["arsch*"]
    assert matcher.find("Barsch und Hascheiß") == []


def test_a_wildcard_at_the_start_catches_every_word_ending_so() -> None:
    matcher = WordMatcher(["*loch"])
    assert matcher.find("So ein Arschloch") == ["*loch"]
    assert matcher.find("ein Loch") == ["*loch"]
    assert matcher.find("Lochkarte") == []


def test_wildcards_at_both_ends_catch_the_word_anywhere_inside_another() -> None:
    matcher = WordMatcher(["*fick*"])
    assert matcher.find("Rumgeficke") == ["*fick*"]
    assert matcher.find("Fiktion") == []


@pytest.mark.parametrize("text", [
    "Blow job", "blow-job", "BLOW   JOB", "blow\njob", "blow...job", "blow, job",
])
def test_a_phrase_matches_across_any_spaces_and_punctuation(text: str) -> None:
    assert WordMatcher(["blow job"]).find(text) == ["blow job"]


def test_a_phrase_needs_all_its_words_in_order() -> None:
    matcher = WordMatcher(["blow job"])
    assert matcher.find("a job to blow") == []
    assert matcher.find("blowjob") == []
    assert matcher.find("blow jobs") == []


def test_overlapping_matches_are_all_reported_in_configured_order() -> None:
    matcher = WordMatcher(["shit", "piece of shit"])
    assert matcher.find("what a piece of shit") == ["shit", "piece of shit"]


def test_each_pattern_is_reported_once_as_configured() -> None:
    assert WordMatcher(["fuck", "fuck"]).find("fuck") == ["fuck"]
    matcher = WordMatcher(["Scheiße", "scheisse", "fuck"])
    assert matcher.find("scheisse scheisse SCHEISSE fuck fuck") == ["Scheiße", "scheisse", "fuck"]


@pytest.mark.parametrize("text", [
    "FUCK", "Fuck", "fück", "fúck", "fûck", "fǔck", "fu\u0301ck",  # case, accents, combining
    "fuсk",  # Cyrillic с
    "fυck",  # Greek upsilon
    "fuck\u200b",  # trailing zero-width space
    "f\u200buck", "fu\u200cck", "fu\u200dck", "fu\u2060ck", "fu\ufeffck", "fu\u00adck",
    "fu\u3164ck",  # Hangul filler
    "fu\U000e0041ck",  # an invisible tag character (anyascii would make it an "a")
    "ｆｕｃｋ",  # fullwidth
    "𝐟𝐮𝐜𝐤", "𝓯𝓾𝓬𝓴", "𝔣𝔲𝔠𝔨", "ⓕⓤⓒⓚ",  # mathematical and circled letters
    "fuᴄk",  # small capital
    "🇫🇺🇨🇰",  # regional indicators
    "f\u0336u\u0336c\u0336k\u0336",  # struck through with combining marks
])
def test_disguised_spellings_are_caught(text: str) -> None:
    assert ENGLISH.find(text) == ["fuck"]


@pytest.mark.parametrize(("text", "word"), [
    ("соск", "cock"),  # all Cyrillic: с, о, с, к
    ("ѕһіt", "shit"),  # Cyrillic ѕ, һ, і
    ("ΑΝΑL", "anal"),  # Greek capitals
    ("ﬁck", "fick"),  # ligature
    ("𝖘𝖈𝖍𝖜𝖆𝖓𝖟", "schwanz"),
    ("ａｒｓｃｈ", "arsch"),
])
def test_look_alike_letters_from_other_scripts_are_caught(text: str, word: str) -> None:
    assert BOTH.find(text) == [word]


@pytest.mark.parametrize(("text", "word"), [
    ("sh1t", "shit"), ("5hit", "shit"), ("$hit", "shit"), ("a$$", "ass"), ("@ss", "ass"),
    ("r4pe", "rape"), ("c0ck", "cock"), ("an4l", "anal"), ("5h17", "shit"),
    ("f1ck", "fick"), ("4r5ch", "arsch"), ("f0tz3", "fotze"),
])
def test_leetspeak_is_caught(text: str, word: str) -> None:
    assert BOTH.find(text) == [word]


@pytest.mark.parametrize("text", [
    "Room 455", "Tickets for 7175 people", "1988", "at 5:30", "4 5 5", "$5 and 3 €",
])
def test_plain_numbers_are_not_read_as_leetspeak(text: str) -> None:
    assert ENGLISH.find(text) == []


def test_a_word_run_into_a_number_is_still_a_word() -> None:
    assert ENGLISH.find("#fuck2024") == ["fuck"]
    assert ENGLISH.find("fuck1") == ["fuck"]
    assert GERMAN.find("Arsch1 und fick123") == ["arsch", "fick"]
    assert ENGLISH.find("2024fuck") == []  # leading digits turn into letters: accepted miss
    assert WordMatcher(["88"]).find("in 1988") == []
    assert WordMatcher(["88"]).find("Gruß 88") == ["88"]


@pytest.mark.parametrize("text", [
    "f.u.c.k", "f u c k", "F U C K", "f-u-c-k", "f*u*c*k", "f_u_c_k", "f. u. c. k.",
    "what the f u c k is this", "I f u c k", "f.u.c.k!", "f . u . c . k",
    "f u c k i n g",
])
def test_words_spelled_letter_by_letter_are_caught(text: str) -> None:
    assert ENGLISH.find(text) == ["fuck"]


@pytest.mark.parametrize("text", [
    "s h 1 t", "$.h.i.t", "a.s.s", "5 h 1 7", "@ s s",
])
def test_letter_by_letter_spelling_works_with_leetspeak_and_short_words(text: str) -> None:
    assert ENGLISH.find(text) != []


@pytest.mark.parametrize("text", [
    "I a m here", "Is it a I or a me?", "Ich habe z. B. u. a. an A, B und C gedacht",
    "J. R. R. Tolkien", "Plan B, Plan C", "A B C D E F G H I J K L M N O P Q R S T U V W X Y Z",
    "Q & A, R & D, B2B, A/B test", "d. h. wir sehen uns um 9 h", "Hall F, booth C 4",
    "a, b, c, d: options", "U.S.A. and the E.U.", "s.o. und s.u.", "I, a mere mortal",
])
def test_ordinary_single_letter_words_do_not_trigger(text: str) -> None:
    assert STARTERS.find(text) == []
    assert ENGLISH.find(text) == []


def test_letter_runs_with_mixed_separators_are_not_joined() -> None:
    assert ENGLISH.find("f.u c-k") == []


def test_short_words_are_not_looked_for_in_letter_runs() -> None:
    # "z. B. u. a." joins to "zbua": a two-letter word turns up in such runs by chance.
    assert WordMatcher(["bu"]).find("z. B. u. a.") == []
    assert WordMatcher(["bu"]).find("B U") == []
    assert WordMatcher(["bu"]).find("bu!") == ["bu"]


def test_allowed_words_are_never_caught() -> None:
    matcher = WordMatcher(["cock*", "arsch*", "dick"], allowed=["Cockburn", "Arschkarte"])
    assert matcher.find("Meeting with Mr Cockburn about the Arschkarte") == []
    assert matcher.find("Cockburn is a dick") == ["dick"]
    assert matcher.find("cockpit") == ["cock*"]


def test_allowed_words_cover_every_spelling_of_the_text() -> None:
    matcher = WordMatcher(["mull*"], allowed=["Müller"])
    assert matcher.find("Frau Müller") == []
    assert matcher.find("Frau Mueller") == []
    assert matcher.find("Mullbinde") == ["mull*"]


def test_allowed_phrases_only_cover_the_phrase() -> None:
    matcher = WordMatcher(["dick"], allowed=["Dick Smith"])
    assert matcher.find("Dick Smith is here") == []
    assert matcher.find("Dick is here") == ["dick"]


def test_allowed_words_override_letter_by_letter_spellings_inside_them() -> None:
    matcher = WordMatcher(["fuck"], allowed=["F U C K"])
    assert matcher.find("F U C K") == []


@pytest.mark.parametrize(("text", "word"), [
    ("Du Hurensohn", "hurensohn"), ("So ein Arschloch!", "arschloch"), ("Wichser", "wichser"),
    ("du Fotze", "fotze"),
])
def test_the_german_starter_list_catches_german_insults(text: str, word: str) -> None:
    assert word in starter_words("de")
    assert STARTERS.find(text) == [word]


@pytest.mark.parametrize(("text", "word"), [
    ("motherfucker", "motherfucker"), ("you cunt", "cunt"), ("bullshit", "bullshit"),
    ("2 girls 1 cup", "2 girls 1 cup"), ("🖕", "🖕"), ("🖕🏽", "🖕"),
])
def test_the_english_starter_list_catches_english_insults(text: str, word: str) -> None:
    assert word in starter_words("en")
    assert STARTERS.find(text) == [word]


@pytest.mark.parametrize("text", [
    "Ein echtes Ass im Ärmel", "Cum-Ex-Skandal", "dicke Luft im Meeting", "Die Vögeln im Park",
    "market domination and a police escort", "hardcore fans of the sexual harassment training",
    "tied up in meetings, how to kill time", "the nude lipstick", "a blue tit",
    "Schiesser Unterwäsche", "Mit Nippel und Lasche", "nackte Zahlen", "Mops und Möpse",
    "magna cum laude", "suck it up", "cocktail analysis at Scunthorpe",
    "Die Analyse der Kanalisation", "Spastik", "Schwanzflosse", "Arschkarte", "Herr Fickel",
    "Sizes S/M and L", "Today's menu: jelly donut", "Kisses xxx", "Berufsbildungswerk (BBW)",
])
def test_the_starter_lists_leave_everyday_words_alone(text: str) -> None:
    assert STARTERS.find(text) == []


def test_starter_lists_are_read_once_and_hold_lower_case_entries() -> None:
    assert starter_words("de") is starter_words("de")
    for name in ("de", "en"):
        words = starter_words(name)
        assert len(words) > 40
        assert all(word == word.lower() and word.strip() == word for word in words)
        assert len(set(words)) == len(words)
        for word in words:
            parse_pattern(word)  # every entry is one the matcher can use


def test_a_matcher_without_patterns_finds_nothing() -> None:
    assert WordMatcher([]).find("fuck") == []


@pytest.mark.parametrize(("entry", "message"), [
    ("", "is empty"), ("   ", "is empty"), ("f*ck", "only stand at the start or the end"),
    ("**fick", "only stand at the start or the end"), ("!!!", "no letters or digits"),
    ("*", "no letters or digits"), ("fick *", "must touch a word"),
])
def test_malformed_patterns_are_refused_with_the_entry_named(entry: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        WordMatcher([entry])
    assert repr(entry) in str(caught.value)
