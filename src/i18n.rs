//! The widget's words, in every language it speaks.
//!
//! Each message is a variant of `Msg`, and each language is a `match` arm: a missing
//! translation is a compile error, not a runtime surprise. Dates go through the
//! browser's `Intl`, so the wasm carries no locale data.

use causerie_protocol::{Field, Problem};

/// A language of the widget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
}

impl Lang {
    /// The language for a BCP 47 tag such as `fr-CA`, by its primary subtag; English
    /// when the widget does not speak it.
    pub fn from_tag(tag: &str) -> Lang {
        let primary = tag.split(['-', '_']).next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("fr") {
            Lang::Fr
        } else {
            Lang::En
        }
    }

    /// The BCP 47 tag, for `lang` attributes and `Intl`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }
}

/// A message the widget shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Msg {
    Heading,
    EmailNote,
    RequiredNote,
    Comment,
    Name,
    Email,
    Website,
    Remember,
    Submit,
    Sending,
    Published,
    Pending,
    FixErrors,
    Unavailable,
    Refused,
    Comments,
    NoComments,
    AwaitingModeration,
}

/// The text of `msg` in `lang`.
pub fn text(lang: Lang, msg: Msg) -> &'static str {
    use Msg::*;
    match lang {
        Lang::En => match msg {
            Heading => "Leave a Reply",
            EmailNote => "Your email address will not be published.",
            RequiredNote => "Required fields are marked *",
            Comment => "Comment",
            Name => "Name",
            Email => "Email",
            Website => "Website",
            Remember => {
                "Save my name, email, and website in this browser for the next time I comment."
            }
            Submit => "Post Comment",
            Sending => "Posting…",
            Published => "Your comment is published.",
            Pending => "Thank you! Your comment is awaiting moderation.",
            FixErrors => "Please correct the fields marked in the form.",
            Unavailable => {
                "Your comment could not be sent. Nothing is lost: check your connection and try again."
            }
            Refused => "The server refused this comment.",
            Comments => "Comments",
            NoComments => "No comments yet.",
            AwaitingModeration => "Awaiting moderation",
        },
        Lang::Fr => match msg {
            Heading => "Laisser un commentaire",
            EmailNote => "Votre adresse e-mail ne sera pas publiée.",
            RequiredNote => "Les champs obligatoires sont indiqués avec *",
            Comment => "Commentaire",
            Name => "Nom",
            Email => "E-mail",
            Website => "Site web",
            Remember => {
                "Enregistrer mon nom, mon e-mail et mon site dans le navigateur pour mon prochain commentaire."
            }
            Submit => "Laisser un commentaire",
            Sending => "Envoi…",
            Published => "Votre commentaire est publié.",
            Pending => "Merci ! Votre commentaire est en attente de modération.",
            FixErrors => "Veuillez corriger les champs signalés dans le formulaire.",
            Unavailable => {
                "Votre commentaire n’a pas pu être envoyé. Rien n’est perdu : vérifiez votre connexion et réessayez."
            }
            Refused => "Le serveur a refusé ce commentaire.",
            Comments => "Commentaires",
            NoComments => "Aucun commentaire pour l’instant.",
            AwaitingModeration => "En attente de modération",
        },
    }
}

/// The message for a problem with a field, in `lang`.
pub fn problem(lang: Lang, field: Field, problem: Problem) -> &'static str {
    use Field::*;
    use Problem::*;
    match lang {
        Lang::En => match (problem, field) {
            (Required, Comment) => "Please type your comment.",
            (Required, Author) => "Please enter your name.",
            (Required, Email) => "Please enter your email address.",
            (Required, _) => "This field is required.",
            (TooLong, Comment) => "Your comment is too long: 10,000 characters at most.",
            (TooLong, Author) => "Your name is too long: 100 characters at most.",
            (TooLong, Email) => "This address is too long: 254 characters at most.",
            (TooLong, _) => "This address is too long: 2,048 characters at most.",
            (InvalidEmail, _) => "Please enter a valid email address, such as name@example.com.",
            (InvalidUrl, _) => "Please enter a web address starting with http:// or https://.",
            (InvalidCharacters, _) => "This contains control characters that cannot be saved.",
        },
        Lang::Fr => match (problem, field) {
            (Required, Comment) => "Veuillez écrire votre commentaire.",
            (Required, Author) => "Veuillez indiquer votre nom.",
            (Required, Email) => "Veuillez indiquer votre adresse e-mail.",
            (Required, _) => "Ce champ est obligatoire.",
            (TooLong, Comment) => "Votre commentaire est trop long : 10 000 caractères au plus.",
            (TooLong, Author) => "Votre nom est trop long : 100 caractères au plus.",
            (TooLong, Email) => "Cette adresse est trop longue : 254 caractères au plus.",
            (TooLong, _) => "Cette adresse est trop longue : 2 048 caractères au plus.",
            (InvalidEmail, _) => "Veuillez saisir une adresse e-mail valide, comme nom@exemple.fr.",
            (InvalidUrl, _) => {
                "Veuillez saisir une adresse web commençant par http:// ou https://."
            }
            (InvalidCharacters, _) => {
                "Ce texte contient des caractères de contrôle qui ne peuvent pas être enregistrés."
            }
        },
    }
}
