//! Deutsch.

use crate::{Counts, Table};

pub(crate) const TABLE: Table = [
    "Schreibe einen Kommentar",
    "Deine E-Mail-Adresse wird nicht veröffentlicht.",
    "Erforderliche Felder sind mit * markiert",
    "Kommentar",
    "Name",
    "E-Mail",
    "Website",
    "Meinen Namen, meine E-Mail-Adresse und meine Website in diesem Browser für meinen nächsten Kommentar speichern.",
    "Kommentar abschicken",
    "Wird gesendet …",
    "Dein Kommentar ist veröffentlicht.",
    "Danke! Dein Kommentar wartet auf Freischaltung.",
    "Bitte korrigiere die markierten Felder im Formular.",
    "Dein Kommentar konnte nicht gesendet werden. Es ist nichts verloren: Prüfe deine Verbindung und versuche es erneut.",
    "Der Server hat diesen Kommentar abgelehnt.",
    "Zu viele Kommentare in kurzer Zeit: Bitte versuchen Sie es in # Min. erneut.",
    "Sie haben diesen Kommentar bereits gesendet.",
    "Dieser Kommentar kann hier nicht veröffentlicht werden.",
    "Das ging schnell! Bitte lesen Sie Ihren Kommentar noch einmal und senden Sie ihn dann erneut.",
    "Wartet auf Freischaltung",
    "Dieser Kommentar wurde gelöscht.",
    "Antworten",
    "Antwort abbrechen",
    "Antwort an #",
    "Antwort auf #",
    "Weitere Kommentare anzeigen",
    "Bitte schreibe deinen Kommentar.",
    "Bitte gib deinen Namen an.",
    "Bitte gib deine E-Mail-Adresse an.",
    "Dieses Feld ist erforderlich.",
    "Dein Kommentar ist zu lang: höchstens 10.000 Zeichen.",
    "Dein Name ist zu lang: höchstens 100 Zeichen.",
    "Diese Adresse ist zu lang: höchstens 254 Zeichen.",
    "Diese Adresse ist zu lang: höchstens 2.048 Zeichen.",
    "Bitte gib eine gültige E-Mail-Adresse an, zum Beispiel name@beispiel.de.",
    "Bitte gib eine Webadresse an, die mit http:// oder https:// beginnt.",
    "Der Text enthält Steuerzeichen, die nicht gespeichert werden können.",
];

/// How many comments, by CLDR plural category.
pub(crate) const COUNTS: Counts = Counts {
    none: "Noch keine Kommentare",
    forms: &[("one", "# Kommentar"), ("other", "# Kommentare")],
};
