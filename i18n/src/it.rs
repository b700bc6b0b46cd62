//! Italiano.

use crate::{Counts, Table};

pub(crate) const TABLE: Table = [
    "Lascia un commento",
    "Il tuo indirizzo email non sarà pubblicato.",
    "I campi obbligatori sono contrassegnati con *",
    "Commento",
    "Nome",
    "Indirizzo email",
    "Sito web",
    "Salva il mio nome, indirizzo email e sito web in questo browser per la prossima volta che commento.",
    "Pubblica il commento",
    "Invio in corso…",
    "Il tuo commento è stato pubblicato.",
    "Grazie! Il tuo commento è in attesa di moderazione.",
    "Correggi i campi segnalati nel modulo.",
    "Non è stato possibile inviare il tuo commento. Non hai perso nulla: controlla la connessione e riprova.",
    "Il server ha rifiutato questo commento.",
    "Troppi commenti in poco tempo: riprova tra # min.",
    "Hai già pubblicato questo commento.",
    "Questo commento non può essere pubblicato qui.",
    "Che velocità! Rileggi il commento, poi invialo di nuovo.",
    "In attesa di moderazione",
    "Questo commento è stato eliminato.",
    "Rispondi",
    "Annulla risposta",
    "Rispondi a #",
    "In risposta a #",
    "Mostra altri commenti",
    "Modifica",
    "Elimina",
    "Salva",
    "Annulla",
    "Eliminare questo commento? L’operazione non si può annullare.",
    "Il tempo per modificare questo commento è scaduto.",
    "Scrivi il tuo commento.",
    "Inserisci il tuo nome.",
    "Inserisci il tuo indirizzo email.",
    "Questo campo è obbligatorio.",
    "Il tuo commento è troppo lungo: al massimo 10.000 caratteri.",
    "Il tuo nome è troppo lungo: al massimo 100 caratteri.",
    "Questo indirizzo è troppo lungo: al massimo 254 caratteri.",
    "Questo indirizzo è troppo lungo: al massimo 2.048 caratteri.",
    "Inserisci un indirizzo email valido, come nome@esempio.it.",
    "Inserisci un indirizzo web che inizi con http:// o https://.",
    "Il testo contiene caratteri di controllo che non possono essere salvati.",
];

/// How many comments, by CLDR plural category.
pub(crate) const COUNTS: Counts = Counts {
    none: "Ancora nessun commento",
    forms: &[
        ("one", "# commento"),
        ("many", "# di commenti"),
        ("other", "# commenti"),
    ],
};
