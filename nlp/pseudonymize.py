"""Rule-based German pseudonymisation of conference notes.

Runs before a note is stored, embedded or logged. Personal data is replaced by typed
placeholders (:data:`PLACEHOLDERS`); everything that carries meaning for social planning
stays: district names, streets without a house number, institutions ("Kita Sonnenschein",
"Burgau-Gymnasium"), landmarks, and public office holders named in their role.

Detectors, one precompiled pass each, in order of precedence where spans overlap:

==============  ===========================================================================
E-MAIL          ``name@domain.tld``, also ``name(at)domain.tld``
IBAN            ``DE`` + 20 digits with or without spaces; other countries when the
                ISO 13616 check digits are valid
AKTENZEICHEN    the number after a trigger (Az., Aktenzeichen, Fallnummer, Fall-Nr.,
                Vorgangsnummer, Geschäftszeichen, BG-Nummer, Tgb.-Nr., Kundennummer ...);
                court and authority registers with letters between the numbers
                (``3 K 123/24``, ``123 Js 456/24``, ``S 14 AS 123/24``, ``II-4 UF 78/24``,
                ``50.2-SGB XII-4711/2024``, ``2023-ASD-0457``, ``34501BG0012345``); after
                weaker triggers (Akte, Vorgang, Zeichen, Fall, … Bescheid) only such shapes
GEBURTSDATUM    a date after geb./geboren (am/im)/Geburtsdatum/Geb.-Datum/Geburtstag or ``*``
                (``12.03.1985``, ``3. März 1990``, ``12.3.85``, ``geb. 1944``, in words:
                ``dritten März 2015``, ``erster Mai zweitausendzehn``), or before
                "geboren"/"zur Welt"/"Geburtstag" for one person (``ist am 1. April 1939
                geboren``; "Kinder, die 2019 geboren sind" stays); other dates stay
TELEFON         German formats: ``+49 2421 12345``, ``0049 …``, ``02421/123456``,
                ``(0171) 123 45 67``, ``0171-1234567``, digit groups split anywhere, also in
                the prefix (``0 24 21 / 12 34 56``, ``(0 24 21) 2 22 33``, ``0176 – 234 567 89``,
                ``0160.123.45.67``); numbers without a leading 0 only after
                Tel./Telefon/Handy/Mobil/Rufnummer
ADRESSE         a street with a house number (``Kölner Landstraße 12``, ``Am Ellernbusch 4a``,
                ``Hauptstr. 3``, ``Goethestraße 3-5``), with postcode and city when they follow
NAME            see below
==============  ===========================================================================

Names (no German NER model is available offline, so the rules are explicit):

* An Anrede (Frau, Herr, Herrn, Fr., Hr.) with optional titles (Dr., Prof.) and the
  capitalised tokens after it: ``Frau Dr. Schmitz`` → ``[NAME]``. After "Familie", "Fam.",
  "Ehepaar", "Eheleute" only the surname is masked (``Familie [NAME]``), so the note still
  says that a family is meant. After an article ("die Frau …") the next token must be a
  listed surname or a word unknown to the German lexicon, so "eine Frau Hilfe …" stays.
* A listed first name (``data/names/first_names.txt``), alone or with the surname or
  initial after it (``Anna Becker``, ``Mehmet``, ``Jana K.``, ``Annas``). First names that
  are also German words (``ambiguous_first_names.txt``: Rose, Wolf, August …) count only
  beside a surname.
* Particles: after a first name, an Anrede, a title or a role noun, "van", "de", "de la",
  "ter", "al", "el", "Abu", "bin", "Van"/"Thi" (Vietnamese) and the like take the next
  capitalised word with them (``Lea de Vries``, ``Hamid al Nuaimi``, ``Nguyen Van Minh``);
  after "von der", "zu", "zur" the next word must look like a surname (``Julia von Bergen``,
  ``Hausmeister von der Heydt``, but ``Thomas von der Caritas`` stays). ``al-Tamimi``,
  ``Abu-Salim``, ``Abdel-Rahman`` are surnames by their shape. A name runs over up to three
  words, particles not counted (``Juan Carlos Morales Díaz``, ``Lucía Pérez de la Fuente``).
* Family name first: a listed surname before a listed first name or "Thi"/"Van"
  (``Tran Quoc Bao``, ``Le Thi Mai``).
* "Dr." and "Prof." start a name like an Anrede (``Dr. Heinrich von Ahlen``).
* Lower case: "frau", "herr", "hr.", "familie" before a listed or unknown word, and listed
  first names written in lower case (``frau schmidt``, ``mehmet``, ``anna becker``), with
  listed surnames after them.
* Surnames (``surnames.txt``) count beside a first name, an Anrede, an initial (``A. Krüger``)
  or a role noun (``Hausmeister Becker``, ``Bezirksbeamter Jansen``); alone only when they
  are no German word (``Kowalski vom ASD``), so "Koch", "Bauer", "Fischer", "Weber" as
  occupations stay.

Role + name: a *public office holder* named in their role stays, with or without an Anrede:
``Bürgermeister Müller``, ``Herr Landrat Spelthahn``, ``Ortsvorsteherin Frau Jansen``,
``Stadträtin Hansen``, also in an apposition that closes with a comma (``Der Vorsitzende des
Sozialausschusses, Herr von Wirth, …``). They act in public and the committee needs to know who promised what.
Public offices are elected or politically appointed ones (Bürgermeister, Landrat,
Ortsvorsteher, Stadtrat, Ratsmitglied, Dezernent, Beigeordneter, Abgeordneter, Minister,
Polizeipräsident …; see ``_OFFICES``). Staff named with their job are masked, because they
are employees, not office holders: ``Schulleiterin Frau Hermanns`` → ``Schulleiterin [NAME]``,
``Frau Dr. Schmitz vom Jugendamt`` → ``[NAME] vom Jugendamt``. Role words without a name
("die Bürgermeisterin", "der Leiter des Jugendamts") are never masked.

Gazetteer entries (district names and variants, streets, institutions, landmarks) are never
masked as names. A gazetteer street *with* a house number is an address and is masked;
callers that need the district (``pipelines``) detect districts on the raw text first.

Placeholders are never re-masked, and no detector reads across one, so pseudonymisation is
idempotent: ``pseudonymise(pseudonymise(x).text) == pseudonymise(x).text``. Switching it off
is a setting (``NlpSettings.pseudonymise``) read by the pipelines, never a default here.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import simplemma

from nlp.districts import Gazetteer

PLACEHOLDERS = {
    "NAME": "[NAME]",
    "TELEFON": "[TELEFON]",
    "E-MAIL": "[E-MAIL]",
    "ADRESSE": "[ADRESSE]",
    "IBAN": "[IBAN]",
    "GEBURTSDATUM": "[GEBURTSDATUM]",
    "AKTENZEICHEN": "[AKTENZEICHEN]",
}
# Where spans of two kinds overlap, the earlier kind wins.
PRECEDENCE = ("E-MAIL", "IBAN", "AKTENZEICHEN", "GEBURTSDATUM", "TELEFON", "ADRESSE", "NAME")

DEFAULT_NAMES_DIR = Path(__file__).resolve().parent.parent / "data" / "names"


@dataclass(frozen=True)
class PiiSpan:
    """One piece of personal data: ``text[start:end]`` of the original text is of ``kind``."""

    start: int
    end: int
    kind: str


@dataclass(frozen=True)
class Pseudonymised:
    """A pseudonymised text and the spans of the original text that were replaced."""

    text: str
    spans: tuple[PiiSpan, ...]

    @property
    def counts(self) -> dict[str, int]:
        """Number of replaced spans per kind (only kinds that occur)."""
        return dict(Counter(span.kind for span in self.spans))


@dataclass(frozen=True)
class NameLists:
    """First names and surnames that drive name detection (see ``data/names/``)."""

    first_names: frozenset[str]
    ambiguous_first_names: frozenset[str] = field(default_factory=frozenset)
    surnames: frozenset[str] = field(default_factory=frozenset)


def _read_words(path: Path) -> frozenset[str]:
    if not path.exists():
        return frozenset()
    words = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        words.update(line.split("#", 1)[0].split())
    return frozenset(words)


def load_name_lists(path: Path) -> NameLists:
    """Read ``first_names.txt``, ``ambiguous_first_names.txt`` and ``surnames.txt`` from a folder.

    Each file holds whitespace-separated names; ``#`` starts a comment. A name in the
    ambiguous list is removed from the plain first names.

    Raises:
        FileNotFoundError: when ``path`` has no ``first_names.txt``.
    """
    path = Path(path)
    first_file = path / "first_names.txt"
    if not first_file.exists():
        raise FileNotFoundError(f"No first-name list at {first_file}; expected data/names/first_names.txt")
    ambiguous = _read_words(path / "ambiguous_first_names.txt")
    return NameLists(
        first_names=_read_words(first_file) - ambiguous,
        ambiguous_first_names=ambiguous,
        surnames=_read_words(path / "surnames.txt"),
    )


@lru_cache(maxsize=65536)
def _is_german_word(token: str) -> bool:
    return simplemma.is_known(token, lang="de")


# --- building blocks ---------------------------------------------------------------------
_UP = "A-ZÄÖÜÀ-ÖØ-ÞĀ-ſŞÇĞİ"  # upper-case letters that start a German or migrant name
_CAP = rf"[{_UP}][^\W\d_]*(?:-[{_UP}]?[^\W\d_]+)*"  # capitalised word, hyphenated parts allowed
# Nothing glued to a placeholder or a longer number/word: "]" and "[" count as boundaries.
_LB = r"(?<![\w\]/.,+\-@])"
_RB = r"(?![\w\[@])"

_EMAIL = re.compile(
    r"(?<![\w.%+\-\]])[\w.%+\-]+(?:@|\s?\((?:at|ät)\)\s?|\s?\[at\]\s?)(?:[\w\-]+\.)+[A-Za-z]{2,}(?![\w\[])"
)
_IBAN_DE = re.compile(r"(?<![\w\]])[Dd][Ee] ?(?:\d ?){19}\d(?![\w\[])")
_IBAN_OTHER = re.compile(r"(?<![\w\]])[A-Z]{2}\d{2} ?(?:[A-Z0-9]{4} ?){2,7}[A-Z0-9]{1,4}(?![\w\[])")

_MONTHS = (
    r"(?:Januar|Februar|März|Maerz|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember"
    r"|Jan|Feb|Mär|Apr|Jun|Jul|Aug|Sept|Sep|Okt|Nov|Dez)\.?"
)
_UNIT = r"(?:ein|zwei|drei|vier|fünf|sechs|sieben|acht|neun)"
_TENS = r"(?:zwanzig|dreißig|dreissig|vierzig|fünfzig|sechzig|siebzig|achtzig|neunzig)"
_TEENS = r"(?:zehn|elf|zwölf|dreizehn|vierzehn|fünfzehn|sechzehn|siebzehn|achtzehn|neunzehn)"
# "erster", "dritten", "vierundzwanzigsten", "einunddreißigsten" (day of the month in words)
_DAY_WORD = (
    r"(?:[Ee]rst|[Zz]weit|[Dd]ritt|[Vv]iert|[Ff]ünft|[Ss]echst|[Ss]ieb(?:en)?t|[Aa]cht|[Nn]eunt|[Zz]ehnt|[Ee]lft"
    r"|[Zz]wölft|(?:drei|vier|fünf|sech|sieb|acht|neun)zehnt|[Zz]wanzigst|" + _UNIT + r"undzwanzigst"
    r"|[Dd]reißigst|[Dd]reissigst|einunddreißigst|einunddreissigst)(?:e[nrms]?)"
)
# "neunzehnhundertsechsundfünfzig", "zweitausendzehn" (a year in words)
_YEAR_WORD = rf"(?:neunzehnhundert|zweitausend)(?:{_UNIT}und{_TENS}|{_TENS}|{_TEENS}|eins|{_UNIT})?(?!\w)"
_YEAR = rf"(?:(?:19|20)\d{{2}}(?!\d|\.\d)|{_YEAR_WORD})"
_DAY_MONTH = rf"(?:\d{{1,2}}\.\s?{_MONTHS}|{_DAY_WORD}\s{_MONTHS})"
_DATE = (
    rf"(?:\d{{1,2}}\.\s?\d{{1,2}}\.\s?(?:\d{{4}}|\d{{2}})(?!\d)|{_DAY_MONTH}(?:\s{_YEAR})?"
    rf"|{_MONTHS}\s(?:19|20)\d{{2}}(?!\d|\.\d)|{_YEAR})"
)
_BIRTH = re.compile(
    rf"(?:\b(?:[Gg]eb(?:oren)?\.?|GEB\.?)(?:\s+(?:am|im))?|\bGeburtsdatum(?:\s(?:des|der)\s\w+)?"
    rf"|\bGeb\.?\s?-?\s?[Dd]atum|\bGeburtstag\b(?:\s+(?:am|ist))?|\*)\s*:?\s*({_DATE})"
)
# The date before the verb: "ist am 1. April 1939 geboren", "wurde neunzehnhundertsechzig geboren",
# "kam am zweiten Januar 2025 zur Welt", "hat am 14. Februar Geburtstag". A bare year only after
# "ist/wurde/war" (one person): "Kinder, die 2019 geboren sind" is a cohort and stays.
_BIRTH_BEFORE = re.compile(
    rf"\b(?:(?:am|im)\s({_DAY_MONTH}(?:\s{_YEAR})?|{_MONTHS}\s{_YEAR}|\d{{1,2}}\.\s?\d{{1,2}}\.\s?\d{{2,4}})"
    rf"|(?<=\b(?:ist|war)\s)({_YEAR})|(?<=\bwurde\s)({_YEAR}))"
    r"\s(?:geboren|zur\sWelt|Geburtstag)\b"
)

_AZ_TRIGGER = (
    r"(?:\b(?:Az|AZ|Aktz|Aktenz)\b\.?|\bAktenzeichen|\bGeschäftszeichen|\bGesch\.?-?Z\.?|\bFallnummer|\bFall-?Nr\.?"
    r"|\bFallnr\.?|\bVorgangsnummer|\bVorgangs-?Nr\.?|\bVorg\.-?Nr\.?|\bTgb\.?-?Nr\.?|\bTagebuchnummer"
    r"|\bBG-?Nummer|\bBG-?Nr\.?|\bKundennummer|\bKunden-?Nr\.?|\bVerfahrensnummer|\bErmittlungsverfahren"
    r"|\bKassenzeichen|\bAktennummer|\bAkten-?Nr\.?|\bFallakte)"
)
# The value after a trigger: its first chunk holds a digit; more chunks may follow, a short
# register between numbers included ("51 JA 1234/24", "III-50 ab 1234/24").
_AZ_VALUE = (
    r"(?:(?=[A-Za-z./\-]*\d)[A-Za-z0-9][\w./\-]*)"
    r"(?:\s(?:[A-Z][A-Za-z]{0,3}\s(?:[IVX]{1,5}\s)?|[a-z]{1,3}\s(?=\d+/))?\d[\w./\-]*)*"
)
_AKTENZEICHEN = re.compile(
    rf"{_AZ_TRIGGER}\s*(?:[:#]\s*)?(?:(?:unter|Nr\.?|Nummer|lautet|ist)\s*:?\s*)?({_AZ_VALUE})"
)
# Shapes of case numbers with letters between the numbers, found without a trigger:
# court and authority registers "3 K 123/24", "S 14 AS 123/24", "12 XVII 345/23", "II-4 UF 78/24" …
_COURT_AZ = re.compile(
    r"(?<![\w\]/.])(?:[IVX]{1,4}-|[A-Z]{1,2}\s)?\d{1,3}\s(?:[A-Z][A-Za-z]{0,3}\s){1,2}\d{1,6}/\d{2,4}(?![\w\[])"
)
# … "50.2-SGB XII-4711/2024", "2-51-J-0044/24", "2023-ASD-0457", and compact "34501BG0012345"
_SHAPED_AZ = re.compile(
    r"(?<![\w\]/.\-])(?:(?:[IVX]{1,4}-)?\d{1,5}(?:[./\-]\d{1,4}){0,2}[\s\-][A-Z][A-Za-z]{0,3}(?:\s[IVX]{1,5})?"
    r"[\s\-]\d[\d\-]*/\d{2,4}|\d{2,4}-[A-Z]{2,4}-\d{3,}|\d{2,}[A-Z]{1,3}\d{3,})(?![\w\[])"
)
# Weaker triggers (Akte, Vorgang, Zeichen, Fall, Tagebuch, … Bescheid) count only before such a shape.
_WEAK_AZ = re.compile(
    r"(?:\b(?<![Ii]m\s)Fall|\bAkte|\bVorgang|\bZeichen|\bTagebuch|\b\w*[Bb]escheid)\b\s*:?\s*(?:(?:Nr\.?|Nummer)\s*)?"
    r"(\d[\d./\-]*(?:[\s\-/][A-ZÄÖÜ][A-Za-z]{0,3}(?:\s[IVX]{1,5})?[\s\-/.]?\d[\d./\-]*)+(?:\s\d{2,}(?![.,]\d))*)"
)

# Digit groups may be split by spaces, hyphens, en dashes and slashes, also inside the
# prefix ("0 24 21 / 12 34 56", "(0 24 21) 2 22 33", "0176 – 234 567 89").
_PHONE = re.compile(
    rf"{_LB}(?<!\]\s)"  # never right after a placeholder
    r"(?:(?:\+|00)\s?[1-9]\d{0,2}(?:\s?\(0\))?|\(0(?:\s?\d){2,5}\)|0\s?[1-9])"
    r"(?:[ \-/–]{0,3}\d+)+"
    rf"{_RB}"
)
# "0160.123.45.67": dots only after a prefix of three to five digits (never a date "01.02.2026")
_PHONE_DOTTED = re.compile(rf"{_LB}0[1-9]\d{{1,3}}(?:\.\d{{2,}}){{2,4}}{_RB}")
_PHONE_CONTEXT = re.compile(
    r"\b(?:Tel(?:efon)?(?:nummer|nr)?\.?|Handy(?:nummer)?|Mobil(?:nummer|nr)?\.?|Fon|Rufnummer|Durchwahl|Fax)"
    r"\s*:?\s*((?:\(?\d[\d()]*)(?:[ \-/–]{1,3}\d+)+|\d{5,})(?![\w\[])"
)

_STREET_WORD = r"(?:straße|strasse|str\.|weg|gasse|allee|platz|ring|damm|pfad|ufer|chaussee|steig|wall|graben|gässchen)"
_STREET_SEPARATE = r"(?:Straße|Strasse|Str\.|Weg|Gasse|Allee|Platz|Ring|Damm|Pfad|Landstraße|Chaussee|Ufer|Wall)"
_STREET_PREP = (
    r"(?:[Aa]m|[Ii]m|[Aa]n\s(?:der|den|dem)|[Aa]uf\s(?:der|dem|den)|[Ii]n\s(?:der|den)|[Zz]um|[Zz]ur"
    r"|[Uu]nter\s(?:den|der|dem)|[Hh]inter\s(?:der|dem|den)|[Vv]or\s(?:dem|der|den)|[Üü]ber\s(?:der|dem|den))"
)
# Time and quantity words after which "am/im X 3" is no address ("im Schnitt 5 Anfragen").
_NOT_STREET = frozenset(
    "Jahr Jahre Monat Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag Wochenende Schnitt Durchschnitt "
    "Moment Alter Winter Sommer Herbst Frühjahr Frühling Januar Februar März April Mai Juni Juli August September "
    "Oktober November Dezember Zeitraum Vergleich Rahmen Quartal Abend Morgen Mittel Ganzen Tag Vormittag "
    "Nachmittag Schuljahr Kindergartenjahr Haushaltsjahr Jahresverlauf Monatsschnitt Bereich Umfang Vorjahr "
    "Beispiel Prinzip Grunde Wesentlichen Allgemeinen Einzelfall Ergebnis Endeffekt Schnitt Rang Platz".split()
)
_HOUSE_NO = r"(?:Nr\.?\s?)?\d{1,3}(?!\d)(?:\s?[a-zA-Z](?![\w]))?(?:\s?[-–/]\s?\d{1,3}[a-zA-Z]?(?!\d))?"
_POSTCODE_CITY = rf",?\s\d{{5}}\s{_CAP}(?:\s(?:an der|am|im)\s{_CAP})?"
# After a bare house number, a capitalised word, a unit or another number means a count.
_NOT_AFTER_NUMBER = r"(?![/.,:]\d)(?!\s?(?:%|€|Euro|Prozent|Uhr|Mal\b|mal\b|km|m\b|qm|m²|Jahre|Min|\d|[A-ZÄÖÜ]))"


_STREET_NAMED = re.compile(
    rf"(?<![\w\-]){_CAP}{_STREET_WORD}|(?<![\w\-]){_CAP}(?:er|sche|scher|sches)\s{_STREET_SEPARATE}"
    rf"|(?<![\w\-]){_CAP}-{_STREET_SEPARATE}"
)


def _street_pattern(extra_streets: Sequence[str]) -> re.Pattern[str]:
    gazetteer = "|".join(re.escape(s) for s in sorted(extra_streets, key=len, reverse=True))
    # The city's own streets first, so "Im Wiesengrund 7" is not left to the generic rules.
    street = (
        "(?:"
        + (rf"{gazetteer}|" if gazetteer else "")
        + rf"{_CAP}{_STREET_WORD}"
        rf"|{_CAP}(?:er|sche|scher|sches)\s{_STREET_SEPARATE}|{_CAP}-{_STREET_SEPARATE}"
        rf"|{_STREET_PREP}\s(?P<prep>{_CAP})(?:\s{_CAP})?"
        ")"
    )
    return re.compile(
        rf"(?<![\w\]\-])(?P<street>{street})\s?(?P<no>{_HOUSE_NO})(?:(?P<city>{_POSTCODE_CITY})|{_NOT_AFTER_NUMBER})(?![\w\[])"
    )


# --- names -----------------------------------------------------------------------------------
# "123456-Frau" is two tokens; "[E-MAIL]-Frau" is one, as "de-Frau" was before masking (idempotence)
_TOKEN = re.compile(r"\[[A-Z\-]+\](?:-\w+)*|[^\W\d_]\w*(?:-[^\W\d_]\w*)*|\w+")
_ANREDE = frozenset({"Frau", "Herr", "Herrn", "Fr", "Hr", "Hrn", "Frl"})
_FAMILY = frozenset({"Familie", "Fam", "Ehepaar", "Eheleute"})
_NEEDS_DOT = frozenset({"Fr", "Hr", "Hrn", "Frl", "Fam", "Dr", "Prof", "med", "rer", "nat", "Dipl", "St"})
_TITLES = frozenset({"Dr", "Prof", "med", "rer", "nat", "phil", "jur", "dent", "Dipl", "Ing", "Mag", "habil"})
# Name particles. After a German one ("von der", "zu") the next word must look like a surname
# ("Anna von der Tafel" stays); after a foreign one any capitalised word is the surname
# ("Lea de Vries", "Hamid al Nuaimi", "Mohammed Abu Zaid", "Nguyen Van Minh").
_GERMAN_PARTICLES = frozenset({"von", "der", "den", "dem", "zu", "zur", "zum", "da", "du"})
_FOREIGN_PARTICLES = frozenset(
    "van vande vander de la le ter ten di dos del della dello al el bin ibn bint ben ould "
    "Al El Abu Abd Abdel Abdul Abdal Bin Ibn Bint Ould Van Văn Thi Thị".split()
)
_PARTICLES = _GERMAN_PARTICLES | _FOREIGN_PARTICLES
# "al-Hamwi", "El-Khatib", "Abu-Salim", "Abdel-Rahman": a surname by its shape
_ARABIC_NAME = re.compile(r"(?:[Aa]l|[Ee]l|Abu|Abd|Abdel|Abdul|Abdal|Bin|Ibn|Ben)-[A-ZÄÖÜ][^\W\d_]+")
_LOWER_ANREDE = frozenset({"frau", "herr", "herrn", "fr", "hr", "hrn"})
_LOWER_FAMILY = frozenset({"familie", "fam"})
_LOWER_TITLES = frozenset({"dr", "prof"})
# German function words: never the start or continuation of a lower-case name.
_STOP_WORDS = frozenset(
    "und oder aber mit von vom zu zur zum im in am an auf aus bei beim bis für gegen nach seit über unter vor "
    "hinter neben ohne durch um als wie wenn weil dass ob hat haben hatte ist sind war waren wird werden kann "
    "können muss soll will sagt meint der die das den dem des ein eine einer einem einen sie er es wir ihr ich "
    "du man auch noch nur schon sehr mehr viel viele kein keine nicht doch ja nein hier dort da so dann denn".split()
)
# Lower-case words that are also listed first names but mean something else in a note.
_NOT_LOWER_NAMES = frozenset({"can", "said", "will", "may", "hat", "ende", "mark", "kai", "nur"})
_DETERMINERS = frozenset(
    "der die das den dem des ein eine einer einem einen eines jede jeder jedem jeden keine keiner diese dieser "
    "diesem welche welcher manche andere anderen junge jungen ältere älteren alte alten alleinerziehende "
    "alleinerziehenden ihre ihrer seine seiner unsere unserer".split()
)
# Elected or politically appointed offices: a name after them stays (see module docstring).
_OFFICES = re.compile(
    r"(?:ober|bezirks|vize|stellvertretende[rn]?)?(?:bürgermeister(?:in)?|landr(?:at|ätin)|ortsvorsteher(?:in)?"
    r"|stadtr(?:at|ätin)|ratsherr|ratsfrau|ratsmitglied|kreistagsmitglied|\w*dezernent(?:in)?|beigeordnete[rn]?"
    r"|\w*abgeordnete[rn]?|\w*minister(?:in)?|staatssekretär(?:in)?|mdb|mdl|kämmer(?:er|in)|\w*präsident(?:in)?"
    r"|\w*vorsitzende[rn]?|oberkreisdirektor(?:in)?|kreisdirektor(?:in)?|stadtdirektor(?:in)?)",
    re.IGNORECASE,
)
# Job and role nouns after which a surname is a person ("Hausmeister Becker").
_ROLE_NOUNS = re.compile(
    r"\w*(?:lehrer|leiter|arbeiter|beamter|beamtin|berater|pfarrer|erzieher|meister|worker|pfleger|trainer"
    r"|sprecher|vertreter|betreuer|helfer|lotse|lotsin|kommissar|polizist|vermieter|nachbar|kollege|kollegin"
    r"|arzt|ärztin|therapeut|psychologe|psychologin|hebamme|pastor|pastorin|imam|diakon|koordinator|referent"
    r"|manager|managerin|vater|mutter|sohn|tochter|bruder|schwester|onkel|tante|oma|opa|enkel|enkelin)"
    r"(?:in|innen)?",
    re.IGNORECASE,
)
# Institutions and places named after a person or a word that is also a first name.
_INSTITUTION_HEADS = frozenset(
    "Kita Kindergarten Kindertagesstätte Grundschule Schule Gymnasium Realschule Gesamtschule Hauptschule "
    "Förderschule Familienzentrum Jugendzentrum Jugendtreff Jugendcafé Café Cafe Haus Pfarrkirche Kirche Kapelle "
    "St Sankt Hl Stiftung Verein Seniorenzentrum Seniorenheim Altenheim Klinik Krankenhaus Hospital Moschee "
    "Apotheke Wohnheim Gemeinde Pfarrei Hotel Restaurant Sporthalle".split()
)

_INSTITUTION_TAIL = re.compile(
    r"(?:schule|gymnasium|kolleg|haus|zentrum|heim|straße|strasse|str|platz|weg|allee|kita|kindergarten"
    r"|stiftung|preis|park|halle|bad|klinik|krankenhaus|bibliothek|museum)$",
    re.IGNORECASE,
)


# Token tests run once per distinct token (regexes with a leading \w* are slow per call).
@lru_cache(maxsize=65536)
def _is_office(token: str) -> bool:
    return _OFFICES.fullmatch(token) is not None


@lru_cache(maxsize=65536)
def _is_role(token: str) -> bool:
    return _ROLE_NOUNS.fullmatch(token) is not None


@lru_cache(maxsize=65536)
def _is_institution_tail(token: str) -> bool:
    return _INSTITUTION_TAIL.search(token) is not None


@dataclass
class _Tok:
    start: int
    end: int
    text: str
    dot: bool  # directly followed by "."


def _masked_with_gaps(text: str, spans: Sequence[PiiSpan]) -> tuple[str, list[tuple[int, int]]]:
    """``text`` with ``spans`` replaced by placeholders, and where each unmasked gap starts.

    Returns the masked text and (start in the masked text, shift back to the
    original) for every stretch between placeholders.
    """
    parts, gaps, cursor, shift = [], [(0, 0)], 0, 0
    for span in spans:
        parts.append(text[cursor : span.start])
        placeholder = PLACEHOLDERS[span.kind]
        parts.append(placeholder)
        shift += len(placeholder) - (span.end - span.start)
        cursor = span.end
        gaps.append((sum(map(len, parts)), shift))
    parts.append(text[cursor:])
    return "".join(parts), gaps


def _unmasked(span: PiiSpan, gaps: Sequence[tuple[int, int]]) -> PiiSpan:
    """A span found in the masked text (never inside a placeholder) in original offsets."""
    shift = next(shift for start, shift in reversed(gaps) if start <= span.start)
    return PiiSpan(span.start - shift, span.end - shift, span.kind)


def _trimmed(span: PiiSpan, text: str, taken: Sequence[tuple[int, int]]) -> PiiSpan | None:
    """A name that runs into a stronger span is cut before it ("Frau Schmitz Az. 51-…").

    Without the cut the name would be dropped now and found after masking, when the
    stronger span has become a placeholder: pseudonymisation would not be idempotent.
    """
    if span.kind != "NAME" or any(s <= span.start < e for s, e in taken):
        return None
    end = min(s for s, e in taken if span.start < s < span.end)
    while end > span.start and not (text[end - 1].isalnum()):
        end -= 1
    if len(text[span.start:end].split()) < 2:  # an Anrede alone is no name
        return None
    return PiiSpan(span.start, end, span.kind)


class Pseudonymiser:
    """Finds personal data in German notes and replaces it with typed placeholders.

    Args:
        gazetteer: the city's gazetteer; its entries are never masked as names, its streets
            with a house number are addresses. ``None``: generic rules only.
        names: first-name and surname lists; ``None`` reads ``data/names/`` on first use.

    The constructor only stores its arguments; patterns are compiled on first use.
    """

    def __init__(self, gazetteer: Gazetteer | None = None, names: NameLists | None = None) -> None:
        self.gazetteer = gazetteer
        self.names = names

    # -- compiled state ---------------------------------------------------------------------
    @cached_property
    def _names(self) -> NameLists:
        return self.names if self.names is not None else load_name_lists(DEFAULT_NAMES_DIR)

    @cached_property
    def _lower_first_names(self) -> frozenset[str]:
        """Listed first names as written in lower-case notes ("mehmet"), without ambiguous ones."""
        return frozenset(
            w for w in (name.lower() for name in self._names.first_names)
            if len(w) >= 3 and w not in _STOP_WORDS and w not in _NOT_LOWER_NAMES
        )

    @cached_property
    def _street(self) -> re.Pattern[str]:
        streets = []
        if self.gazetteer is not None:
            streets = [s for s, kind in self.gazetteer.kinds.items() if kind in ("streets", "landmarks")]
        return _street_pattern(streets)

    @cached_property
    def _protected(self) -> re.Pattern[str] | None:
        if self.gazetteer is None or not self.gazetteer.entries:
            return None
        entries = sorted(self.gazetteer.entries, key=len, reverse=True)
        return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(e) for e in entries) + r")(?!\w)")

    # -- public API -------------------------------------------------------------------------
    def find(self, text: str) -> list[PiiSpan]:
        """Personal data in ``text``: sorted, non-overlapping spans into ``text``.

        Masking can uncover what its context hid ("0171/Mehmet" is a phone number
        until the number is masked, then "Mehmet" is a name), so the masked text is
        searched again until nothing new turns up. That makes pseudonymisation
        idempotent: the result holds nothing a second pass would mask.
        """
        spans = self._find_once(text)
        while spans:
            masked, gaps = _masked_with_gaps(text, spans)
            extra = self._find_once(masked)
            if not extra:
                break
            spans = sorted([*spans, *(_unmasked(span, gaps) for span in extra)], key=lambda s: s.start)
        return spans

    def _find_once(self, text: str) -> list[PiiSpan]:
        if not text:
            return []
        blocked = [(m.start(), m.end()) for m in re.finditer(r"\[[A-Z\-]+\]", text)]
        candidates: list[PiiSpan] = []
        for kind in PRECEDENCE:
            candidates.extend(self._detect(kind, text))
        chosen: list[PiiSpan] = []
        taken = blocked[:]
        for span in candidates:  # already in precedence order
            if span.end <= span.start:
                continue
            if any(span.start < e and s < span.end for s, e in taken):
                span = _trimmed(span, text, taken)
                if span is None:
                    continue
            chosen.append(span)
            taken.append((span.start, span.end))
        return sorted(chosen, key=lambda s: s.start)

    def pseudonymise(self, text: str) -> Pseudonymised:
        """``text`` with every found span replaced by its placeholder."""
        spans = self.find(text)
        parts, cursor = [], 0
        for span in spans:
            parts.append(text[cursor : span.start])
            parts.append(PLACEHOLDERS[span.kind])
            cursor = span.end
        parts.append(text[cursor:])
        return Pseudonymised(text="".join(parts), spans=tuple(spans))

    def pseudonymise_texts(self, texts: Sequence[str]) -> list[Pseudonymised]:
        """:meth:`pseudonymise` for each text, row-aligned with ``texts``."""
        return [self.pseudonymise(text) for text in texts]

    # -- detectors --------------------------------------------------------------------------
    def _detect(self, kind: str, text: str) -> Iterator[PiiSpan]:
        if kind == "E-MAIL":
            if "@" in text or "(at)" in text or "[at]" in text or "(ät)" in text:
                for m in _EMAIL.finditer(text):
                    yield PiiSpan(m.start(), m.end(), kind)
        elif kind == "IBAN":
            for m in _IBAN_DE.finditer(text):
                yield PiiSpan(m.start(), _rstrip(text, m.start(), m.end()), kind)
            for m in _IBAN_OTHER.finditer(text):
                if _iban_valid(m.group()):
                    yield PiiSpan(m.start(), _rstrip(text, m.start(), m.end()), kind)
        elif kind == "AKTENZEICHEN":
            if not _has_digit(text):
                return
            for m in _AKTENZEICHEN.finditer(text):
                start, end = m.start(1), _rstrip(text, m.start(1), m.end(1), chars="./-")
                if any(c.isdigit() for c in text[start:end]):
                    yield PiiSpan(start, end, kind)
            for pattern in (_COURT_AZ, _SHAPED_AZ):
                for m in pattern.finditer(text):
                    yield PiiSpan(m.start(), m.end(), kind)
            for m in _WEAK_AZ.finditer(text):
                yield PiiSpan(m.start(1), _rstrip(text, m.start(1), m.end(1), chars="./-"), kind)
        elif kind == "GEBURTSDATUM":
            if "eb" in text or "EB" in text or "*" in text:  # geb., Geburtsdatum, GEB., *
                for m in _BIRTH.finditer(text):
                    yield PiiSpan(m.start(1), m.end(1), kind)
            if "geboren" in text or "Welt" in text or "Geburtstag" in text:
                for m in _BIRTH_BEFORE.finditer(text):
                    group = next(g for g in (1, 2, 3) if m.group(g))
                    yield PiiSpan(m.start(group), m.end(group), kind)
        elif kind == "TELEFON":
            if not _has_digit(text):
                return
            for m in _PHONE.finditer(text):
                end = _rstrip(text, m.start(), m.end(), chars=" -/–")
                digits = sum(c.isdigit() for c in text[m.start() : end])
                if 7 <= digits <= 16:
                    yield PiiSpan(m.start(), end, kind)
            for m in _PHONE_DOTTED.finditer(text):
                yield PiiSpan(m.start(), m.end(), kind)
            for m in _PHONE_CONTEXT.finditer(text):
                digits = sum(c.isdigit() for c in m.group(1))
                if 5 <= digits <= 16:
                    yield PiiSpan(m.start(1), _rstrip(text, m.start(1), m.end(1), chars=" -/–"), kind)
        elif kind == "ADRESSE":
            if _has_digit(text):
                for m in self._street.finditer(text):
                    start = m.start()
                    if m.group("prep"):
                        if m.group("prep") in _NOT_STREET:
                            continue
                        # "In der Bibliothek 1 im Schulhaus": a common noun after the preposition
                        # is a street only when the number ends the phrase.
                        if _is_german_word(m.group("prep")) and not re.match(r"\s*(?:[,.;)]|$)", text[m.end() :]):
                            inner = _STREET_NAMED.search(m.group("street"), 1)
                            if inner is None:
                                continue
                        # "in der Kölner Landstraße 12": the street is the named one, not the phrase
                        inner = _STREET_NAMED.search(m.group("street"), 1)
                        if inner is not None:
                            start += inner.start()
                    yield PiiSpan(start, _rstrip(text, start, m.end()), kind)
        elif kind == "NAME":
            yield from self._names_in(text)

    def _names_in(self, text: str) -> Iterator[PiiSpan]:
        names = self._names
        toks = [
            _Tok(m.start(), m.end(), m.group(), m.end() < len(text) and text[m.end()] == ".")
            for m in _TOKEN.finditer(text)
        ]
        if not toks:
            return
        protected = self._protected_tokens(text, toks)
        first, ambiguous, surnames = names.first_names, names.ambiguous_first_names, names.surnames
        n = len(toks)

        def cap(t: _Tok) -> bool:
            return t.text[0].isupper() and not t.text.startswith("[") and not any(c.isdigit() for c in t.text)

        def lower_name_like(t: _Tok) -> bool:
            """A lower-case word that continues a lower-case name ("anna becker")."""
            w = t.text
            if not w.islower() or w in _STOP_WORDS or w in _NOT_LOWER_NAMES:
                return False
            c = w[:1].upper() + w[1:]
            return c in surnames or c in first or (len(w) == 1 and t.dot)

        def is_initial(t: _Tok) -> bool:
            return len(t.text) == 1 and t.text.isupper() and t.dot

        def is_first(t: _Tok) -> bool:
            parts = t.text.split("-")
            return t.text in first or (len(parts) > 1 and all(p in first or p in ambiguous for p in parts))

        def surname_like(t: _Tok) -> bool:
            """A token that may continue a name: listed, or capitalised and no German word."""
            if _ARABIC_NAME.fullmatch(t.text):
                return True
            if not cap(t) or t.text in _FAMILY or t.text in _ANREDE or (len(t.text) > 1 and t.text.isupper()):
                return False
            if t.text in surnames or t.text in first or t.text in ambiguous or _ARABIC_NAME.fullmatch(t.text):
                return True
            parts = t.text.split("-")
            if len(parts) > 1 and any(p in surnames for p in parts):
                return True
            return not _is_german_word(t.text) and not _is_german_word(t.text.lower())

        def particles_then_surname(k: int) -> int | None:
            """Index after "von der Heydt", "de la Cruz", "al Nuaimi" starting at ``k``; None if no such name."""
            m, foreign = k, False
            while m < n and toks[m].text in _PARTICLES and m not in protected and m - k < 3:
                if m > k and not _adjacent(text, toks[m - 1], toks[m]):
                    return None
                foreign = foreign or toks[m].text in _FOREIGN_PARTICLES
                m += 1
            if m == k or m >= n or m in protected or not _adjacent(text, toks[m - 1], toks[m]):
                return None
            head = toks[m]
            if foreign and cap(head) and not (len(head.text) > 1 and head.text.isupper()) and not _is_office(head.text):
                return m + 1
            if head.text in surnames or _ARABIC_NAME.fullmatch(head.text):
                return m + 1
            if not surname_like(head) and not (toks[k].text == "von" and m == k + 1 and _bare_von_surname(head.text)):
                return None
            if toks[m - 1].text in {"der", "den", "dem"} and _is_german_compound(head.text):
                return None  # "Herr Said von der Integrationsagentur"
            return m + 1

        def extend(j: int, limit: int = 3) -> int:
            """Index after the name tokens that continue from ``j``: up to ``limit`` words, particles free."""
            k, words = j, 0
            while k < n and words < limit and k not in protected:
                t = toks[k]
                if not _adjacent(text, toks[k - 1], t):
                    break
                if is_initial(t):
                    k += 1
                    words += 1
                    continue
                if _is_institution_tail(t.text):
                    break  # "Otto Ottsen Str.": the name ends where the street begins
                if t.text in _PARTICLES:
                    after = particles_then_surname(k)
                    if after is None:
                        break
                    k = after
                    words += 1
                    continue
                if surname_like(t):
                    k += 1
                    words += 1
                    continue
                # "Sara Castillo Navarro": an unlisted first surname before a listed second one
                if (cap(t) and k + 1 < n and k + 1 not in protected and toks[k + 1].text in surnames
                        and cap(toks[k + 1]) and _adjacent(text, t, toks[k + 1]) and not _is_office(t.text)
                        and not _is_role(t.text) and t.text not in _ANREDE and t.text not in _FAMILY):
                    k += 2
                    words += 2
                    continue
                break
            return k

        def names_a_place(k: int) -> bool:
            """A street or institution word right after the name: "Dr. Berns Straße", "Otto Ottsen Str."."""
            return k < n and _adjacent(text, toks[k - 1], toks[k]) and _is_institution_tail(toks[k].text)

        def end_of(k: int) -> int:
            t = toks[k - 1]
            return t.end + 1 if is_initial(t) else t.end

        def extend_lower(j: int, limit: int = 3) -> int:
            k = j
            while k < n and k - j < limit and _adjacent(text, toks[k - 1], toks[k]) and lower_name_like(toks[k]):
                k += 1
            return k

        lower = self._lower_first_names
        i = 0
        while i < n:
            t = toks[i]
            if i in protected:
                i += 1
                continue
            if t.text[0].islower():
                # lower-case notes: "frau schmidt", "familie demir", "anna becker", "mehmet"
                w = t.text
                if w not in lower and w not in _LOWER_ANREDE and w not in _LOWER_FAMILY and w not in _PARTICLES and (
                    "-" not in w
                ):
                    i += 1
                    continue
                prev = toks[i - 1] if i > 0 and _adjacent(text, toks[i - 1], t) else None
                if t.text in _LOWER_ANREDE or t.text in _LOWER_FAMILY:
                    if (t.text in {"fr", "hr", "hrn", "fam"}) != t.dot:
                        i += 1
                        continue
                    j = i + 1
                    while j < n and toks[j].text in _LOWER_TITLES and toks[j].dot and _adjacent(text, toks[j - 1], toks[j]):
                        j += 1
                    if j < n and j not in protected and _adjacent(text, toks[j - 1], toks[j]):
                        head = toks[j].text
                        c = head[:1].upper() + head[1:]
                        if head.islower() and head not in _STOP_WORDS and (
                            c in surnames or c in first or c in ambiguous or not _is_german_word(head)
                        ):
                            k = extend_lower(j + 1)
                            start = toks[i + 1].start if t.text in _LOWER_FAMILY else t.start
                            yield PiiSpan(start, end_of(k), "NAME")
                            i = k
                            continue
                elif t.text in lower and not t.dot and not (prev is not None and prev.text in _INSTITUTION_HEADS):
                    k = extend_lower(i + 1)
                    yield PiiSpan(t.start, end_of(k), "NAME")
                    i = k
                    continue
                elif prev is not None and _is_role(prev.text) and not _is_office(prev.text) and t.text in _PARTICLES:
                    after = particles_then_surname(i)  # "Hausmeister von der Heydt", not "Mutter von Lena"
                    if after is not None and not is_first(toks[after - 1]):
                        yield PiiSpan(t.start, end_of(after), "NAME")
                        i = after
                        continue
                elif _ARABIC_NAME.fullmatch(t.text) and not _is_institution_tail(t.text):
                    # "Rana al-Tamimi": an unlisted first name before the surname goes with it
                    start = prev.start if prev is not None and i - 1 not in protected and surname_like(prev) else t.start
                    k = extend(i + 1)
                    yield PiiSpan(start, end_of(k), "NAME")
                    i = k
                    continue
                i += 1
                continue
            prev = toks[i - 1] if i > 0 and _adjacent(text, toks[i - 1], t) else None
            # 1. Anrede / Familie + name
            if t.text in _ANREDE or t.text in _FAMILY or (t.text in ("Dr", "Prof") and t.dot):
                if (t.text in _NEEDS_DOT) != t.dot and t.text in {"Fr", "Hr", "Hrn", "Frl", "Fam"}:
                    i += 1
                    continue
                j = i + 1
                while j < n and toks[j].text in _TITLES and _adjacent(text, toks[j - 1], toks[j]):
                    j += 1
                while j < n and toks[j].text in _PARTICLES and _adjacent(text, toks[j - 1], toks[j]):
                    j += 1
                if j < n and j not in protected and _adjacent(text, toks[j - 1], toks[j]):
                    head = toks[j]
                    after_article = prev is not None and prev.text.lower() in _DETERMINERS
                    ok = (cap(head) and not _is_office(head.text) and not _is_role(head.text)
                          and head.text not in _ANREDE and head.text not in _FAMILY)
                    if ok and after_article and not (head.text in surnames or is_first(head) or is_initial(head)):
                        ok = not _is_german_word(head.text)
                    if ok or is_initial(head):
                        k = extend(j + 1)
                        if t.text in ("Dr", "Prof") and names_a_place(k):
                            i = k
                            continue
                        start = toks[i + 1].start if t.text in _FAMILY else t.start
                        yield PiiSpan(start, end_of(k), "NAME")
                        i = k
                        continue
                i += 1
                continue
            if prev is not None and (prev.text in ("St", "Sankt", "Hl") or prev.text in _INSTITUTION_HEADS):
                i += 1
                continue
            # "Anna-Frank Oberschule", "Sophie Scholl Gymnasium": an institution named after a person
            if i + 1 < n and _is_institution_tail(toks[i + 1].text) and _adjacent(text, t, toks[i + 1]):
                i += 2
                continue
            # 2. first name (+ surname)
            if is_first(t) or (t.text.endswith("s") and t.text[:-1] in first):  # "Annas Sohn"
                if t.dot and i + 1 < n and toks[i + 1].text[:1].isdigit():
                    i += 1  # "Jan. 2024"
                    continue
                k = extend(i + 1)
                if k > i + 1 and names_a_place(k):
                    i = k
                    continue
                yield PiiSpan(t.start, end_of(k), "NAME")
                i = k
                continue
            if t.text in ambiguous and i + 1 < n and _adjacent(text, t, toks[i + 1]) and (
                toks[i + 1].text in surnames and cap(toks[i + 1])
            ):
                k = extend(i + 1)
                yield PiiSpan(t.start, end_of(k), "NAME")
                i = k
                continue
            # 3. initial + surname
            if is_initial(t) and i + 1 < n and _adjacent(text, t, toks[i + 1]) and toks[i + 1].text in surnames:
                k = extend(i + 1)
                yield PiiSpan(t.start, end_of(k), "NAME")
                i = k
                continue
            # 4. role noun + surname, 5. a surname that is no German word
            if t.text in surnames and cap(t):
                after_role = prev is not None and bool(_is_role(prev.text)) and not _is_office(prev.text)
                nxt = toks[i + 1] if i + 1 < n and _adjacent(text, t, toks[i + 1]) and i + 1 not in protected else None
                # family name first: "Tran Quoc Bao", "Le Thi Mai", "Weber, Thomas" is not covered
                family_first = nxt is not None and cap(nxt) and (nxt.text in _FOREIGN_PARTICLES or is_first(nxt))
                if after_role or family_first or not (_is_german_word(t.text) or _is_german_word(t.text.lower())):
                    k = extend(i + 1)
                    yield PiiSpan(t.start, end_of(k), "NAME")
                    i = k
                    continue
            i += 1

    def _protected_tokens(self, text: str, toks: list[_Tok]) -> set[int]:
        """Indices of tokens inside gazetteer entries or after a public office word."""
        protected: set[int] = set()
        if self._protected is not None:
            spans = [(m.start(), m.end()) for m in self._protected.finditer(text)]
            if spans:
                for idx, t in enumerate(toks):
                    if any(s <= t.start and t.end <= e for s, e in spans):
                        protected.add(idx)
        for idx, t in enumerate(toks):
            if _is_office(t.text):
                # the office word, an optional Anrede/title and the name after it; or the name in
                # an apposition: "Der Vorsitzende des Sozialausschusses, Herr von Wirth, sagt …"
                apposition = _apposition_start(text, toks, idx)
                j = idx + 1 if apposition is None else apposition
                names: set[int] = set()
                while j < len(toks) and (toks[j].text in _ANREDE or toks[j].text in _TITLES):
                    names.add(j)
                    j += 1
                limit = j + 3
                while j < len(toks) and j < limit and (toks[j].text[:1].isupper() or toks[j].text in _PARTICLES):
                    if not _adjacent(text, toks[j - 1], toks[j]):
                        break
                    names.add(j)
                    j += 1
                # an apposition closes with a comma or bracket; "Die Bürgermeisterin, Frau X und …" lists people
                if apposition is not None and not re.match(r"\s*[,)]", text[toks[j - 1].end :]):
                    continue
                protected |= names
        return protected


def _apposition_start(text: str, toks: list[_Tok], office: int) -> int | None:
    """Index of the Anrede in "<office>[ des/der X[ Y]], Frau/Herr …", else None."""
    k = office
    if k + 1 < len(toks) and toks[k + 1].text in ("des", "der") and _adjacent(text, toks[k], toks[k + 1]):
        k += 1
        while k + 1 < len(toks) and k - office < 4 and _adjacent(text, toks[k], toks[k + 1]):
            k += 1
    if k + 1 < len(toks) and text[toks[k].end : toks[k + 1].start] == ", " and toks[k + 1].text in _ANREDE:
        return k + 1
    return None


# Nouns that follow a bare "von" after a name without being a surname ("Ali von Beruf Koch").
_NOT_AFTER_VON = frozenset(
    "Anfang Beruf Haus Hause Hand Zeit Amts Natur Geburt Seiten Grund Bedeutung Interesse Vorteil Nutzen Bord "
    "Kindheit Jugend Herzen Hilfe Sinnen Tag Woche Jahr Mal Ort Stadt Land Tür Fall".split()
)


@lru_cache(maxsize=65536)
def _bare_von_surname(word: str) -> bool:
    """A capitalised word after a name and a bare "von" that is a surname ("Julia von Bergen")."""
    if not word[:1].isupper() or (len(word) > 1 and word.isupper()) or word in _NOT_AFTER_VON or word in _NOT_STREET:
        return False
    if _is_office(word) or _is_role(word) or _is_german_compound(word):
        return False
    # an inflected German noun ("Kindern", "Nachbarn", "Mühlen") is no surname here
    return simplemma.lemmatize(word, lang="de") == word


@lru_cache(maxsize=65536)
def _is_german_compound(word: str) -> bool:
    """A long word that ends in a known German noun ("Integrationsagentur", "Sozialamt")."""
    if len(word) < 9:
        return False
    for cut in range(3, len(word) - 3):
        tail = word[cut:]
        if _is_german_word(tail[:1].upper() + tail[1:]) and len(tail) >= 4:
            return True
    return False


_DIGIT = re.compile(r"\d")


def _has_digit(text: str) -> bool:
    return _DIGIT.search(text) is not None


def _adjacent(text: str, a: _Tok, b: _Tok) -> bool:
    """True when only spaces (or the dot of an abbreviation) separate two tokens."""
    gap = text[a.end : b.start]
    return gap in (" ", ". ", ".") if a.dot else gap == " "


def _rstrip(text: str, start: int, end: int, chars: str = " .,;:") -> int:
    while end > start and text[end - 1] in chars:
        end -= 1
    return end


def _iban_valid(value: str) -> bool:
    """ISO 13616 check digits (mod 97) of an IBAN written with or without spaces."""
    compact = value.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    try:
        return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1
    except ValueError:
        return False
