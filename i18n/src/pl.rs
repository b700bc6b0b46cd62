//! Polski.

use crate::{Counts, Table};

pub(crate) const TABLE: Table = [
    "Dodaj komentarz",
    "Twój adres e-mail nie zostanie opublikowany.",
    "Wymagane pola są oznaczone *",
    "Komentarz",
    "Imię",
    "Adres e-mail",
    "Witryna internetowa",
    "Zapisz moje imię, adres e-mail i witrynę w tej przeglądarce na potrzeby kolejnych komentarzy.",
    "Opublikuj komentarz",
    "Wysyłanie…",
    "Twój komentarz został opublikowany.",
    "Dziękujemy! Twój komentarz czeka na moderację.",
    "Popraw zaznaczone pola formularza.",
    "Nie udało się wysłać komentarza. Nic nie zostało utracone: sprawdź połączenie i spróbuj ponownie.",
    "Serwer odrzucił ten komentarz.",
    "Zbyt wiele komentarzy w krótkim czasie: spróbuj ponownie za # min.",
    "Ten komentarz został już opublikowany.",
    "Tego komentarza nie można tu opublikować.",
    "To było szybkie! Przeczytaj komentarz jeszcze raz i wyślij go ponownie.",
    "Czeka na moderację",
    "Ten komentarz został usunięty.",
    "Odpowiedz",
    "Anuluj odpowiedź",
    "Odpowiedz użytkownikowi #",
    "W odpowiedzi na komentarz: #",
    "Pokaż więcej komentarzy",
    "Wpisz swój komentarz.",
    "Podaj swoje imię.",
    "Podaj swój adres e-mail.",
    "To pole jest wymagane.",
    "Komentarz jest za długi: maksymalnie 10 000 znaków.",
    "Imię jest za długie: maksymalnie 100 znaków.",
    "Ten adres jest za długi: maksymalnie 254 znaki.",
    "Ten adres jest za długi: maksymalnie 2048 znaków.",
    "Podaj poprawny adres e-mail, na przykład imie@przyklad.pl.",
    "Podaj adres internetowy zaczynający się od http:// lub https://.",
    "Tekst zawiera znaki sterujące, których nie można zapisać.",
];

/// How many comments, by CLDR plural category.
pub(crate) const COUNTS: Counts = Counts {
    none: "Nie ma jeszcze komentarzy",
    forms: &[
        ("one", "# komentarz"),
        ("few", "# komentarze"),
        ("many", "# komentarzy"),
        ("other", "# komentarza"),
    ],
};
