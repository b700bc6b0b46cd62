//! Français.

use crate::{Counts, Table};

pub(crate) const TABLE: Table = [
    "Laisser un commentaire",
    "Votre adresse e-mail ne sera pas publiée.",
    "Les champs obligatoires sont indiqués avec *",
    "Commentaire",
    "Nom",
    "E-mail",
    "Site web",
    "Enregistrer mon nom, mon e-mail et mon site dans le navigateur pour mon prochain commentaire.",
    "Laisser un commentaire",
    "Envoi…",
    "Votre commentaire est publié.",
    "Merci ! Votre commentaire est en attente de modération.",
    "Veuillez corriger les champs signalés dans le formulaire.",
    "Votre commentaire n’a pas pu être envoyé. Rien n’est perdu : vérifiez votre connexion et réessayez.",
    "Le serveur a refusé ce commentaire.",
    "Trop de commentaires en peu de temps : réessayez dans # min.",
    "Vous avez déjà publié ce commentaire.",
    "Ce commentaire ne peut pas être publié ici.",
    "C’était rapide ! Relisez votre commentaire, puis envoyez-le à nouveau.",
    "En attente de modération",
    "Ce commentaire a été supprimé.",
    "Répondre",
    "Annuler la réponse",
    "Répondre à #",
    "En réponse à #",
    "Afficher plus de commentaires",
    "Modifier",
    "Supprimer",
    "Enregistrer",
    "Annuler",
    "Supprimer ce commentaire ? Cette action est définitive.",
    "Le délai pour modifier ce commentaire est écoulé.",
    "Veuillez écrire votre commentaire.",
    "Veuillez indiquer votre nom.",
    "Veuillez indiquer votre adresse e-mail.",
    "Ce champ est obligatoire.",
    "Votre commentaire est trop long : 10 000 caractères au plus.",
    "Votre nom est trop long : 100 caractères au plus.",
    "Cette adresse est trop longue : 254 caractères au plus.",
    "Cette adresse est trop longue : 2 048 caractères au plus.",
    "Veuillez saisir une adresse e-mail valide, comme nom@exemple.fr.",
    "Veuillez saisir une adresse web commençant par http:// ou https://.",
    "Ce texte contient des caractères de contrôle qui ne peuvent pas être enregistrés.",
];

/// « 3 commentaires ». CLDR's `many` is for large round numbers: « 1 million de commentaires ».
pub(crate) const COUNTS: Counts = Counts {
    none: "Aucun commentaire",
    forms: &[
        ("one", "# commentaire"),
        ("many", "# de commentaires"),
        ("other", "# commentaires"),
    ],
};
