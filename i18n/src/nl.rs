//! Nederlands.

use crate::{Counts, Table};

pub(crate) const TABLE: Table = [
    "Laat een reactie achter",
    "Je e-mailadres wordt niet gepubliceerd.",
    "Verplichte velden zijn gemarkeerd met *",
    "Reactie",
    "Naam",
    "E-mailadres",
    "Website",
    "Mijn naam, e-mailadres en website in deze browser bewaren voor de volgende keer dat ik reageer.",
    "Reactie plaatsen",
    "Bezig met plaatsen…",
    "Je reactie is geplaatst.",
    "Bedankt! Je reactie wacht op goedkeuring.",
    "Verbeter de gemarkeerde velden in het formulier.",
    "Je reactie kon niet worden verstuurd. Er is niets verloren: controleer je verbinding en probeer het opnieuw.",
    "De server heeft deze reactie geweigerd.",
    "Te veel reacties in korte tijd: probeer het over # min. opnieuw.",
    "Je hebt deze reactie al geplaatst.",
    "Deze reactie kan hier niet worden geplaatst.",
    "Dat ging snel! Lees je reactie nog eens na en plaats hem dan opnieuw.",
    "Wacht op goedkeuring",
    "Deze reactie is verwijderd.",
    "Beantwoorden",
    "Antwoord annuleren",
    "Antwoord aan #",
    "Als antwoord op #",
    "Meer reacties tonen",
    "Typ je reactie.",
    "Vul je naam in.",
    "Vul je e-mailadres in.",
    "Dit veld is verplicht.",
    "Je reactie is te lang: maximaal 10.000 tekens.",
    "Je naam is te lang: maximaal 100 tekens.",
    "Dit adres is te lang: maximaal 254 tekens.",
    "Dit adres is te lang: maximaal 2.048 tekens.",
    "Vul een geldig e-mailadres in, zoals naam@voorbeeld.nl.",
    "Vul een webadres in dat begint met http:// of https://.",
    "De tekst bevat stuurtekens die niet kunnen worden opgeslagen.",
];

/// How many comments, by CLDR plural category.
pub(crate) const COUNTS: Counts = Counts {
    none: "Nog geen reacties",
    forms: &[("one", "# reactie"), ("other", "# reacties")],
};
