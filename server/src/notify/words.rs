//! The words of a commenter's mails, in each language the widget speaks: the language
//! the commenter wrote in (`lang` of their comment), else English. `{site}`, `{page}`,
//! `{author}` and `{name}` are filled in, then the whole is escaped by the templates.

/// One language's words.
pub struct MailWords {
    /// The BCP 47 tag, and whether it is written right to left.
    pub tag: &'static str,
    pub rtl: bool,
    pub confirm_subject: &'static str,
    pub confirm_intro: &'static str,
    pub confirm_action: &'static str,
    pub confirm_link: &'static str,
    pub confirm_ignore: &'static str,
    pub reply_subject: &'static str,
    pub reply_intro: &'static str,
    pub mute: &'static str,
    pub stop: &'static str,
    pub why: &'static str,
    pub footer: &'static str,
}

/// The words of `tag`'s language (`fr-CA` gives French), else English.
pub fn of(tag: &str) -> &'static MailWords {
    let primary = tag
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    WORDS.iter().find(|w| w.tag == primary).unwrap_or(&WORDS[0])
}

/// `text` with each `{name}` of `values` filled in.
pub fn fill(text: &str, values: &[(&str, &str)]) -> String {
    let mut out = text.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

const WORDS: [MailWords; 12] = [
    MailWords {
        tag: "en",
        rtl: false,
        confirm_subject: "Confirm that you want replies by email",
        confirm_intro: "Someone, you we hope, asked {site} to email this address when someone replies to their comment on {page}.",
        confirm_action: "To confirm, open this link (it asks before it acts, and works for a week):",
        confirm_link: "Confirm",
        confirm_ignore: "If it was not you, do nothing: this address gets no other email.",
        reply_subject: "{author} replied to your comment on {page}",
        reply_intro: "{name}, {author} replied to your comment on {site}, on the page {page}:",
        mute: "No more replies from this page",
        stop: "No more email at all",
        why: "You get this email because you asked to hear of replies.",
        footer: "Causerie, the comments of {site}.",
    },
    MailWords {
        tag: "fr",
        rtl: false,
        confirm_subject: "Confirmez que vous voulez les réponses par e-mail",
        confirm_intro: "Quelqu’un, vous sans doute, a demandé à {site} d’écrire à cette adresse quand on répond à son commentaire sur {page}.",
        confirm_action: "Pour confirmer, ouvrez ce lien (il demande avant d’agir, et sert une semaine) :",
        confirm_link: "Confirmer",
        confirm_ignore: "Si ce n’était pas vous, ne faites rien : cette adresse ne recevra rien d’autre.",
        reply_subject: "{author} a répondu à votre commentaire sur {page}",
        reply_intro: "{name}, {author} a répondu à votre commentaire sur {site}, sur la page {page} :",
        mute: "Plus de réponses de cette page",
        stop: "Plus aucun e-mail",
        why: "Vous recevez cet e-mail parce que vous avez demandé à être prévenu des réponses.",
        footer: "Causerie, les commentaires de {site}.",
    },
    MailWords {
        tag: "de",
        rtl: false,
        confirm_subject: "Bestätigen Sie, dass Sie Antworten per E-Mail erhalten möchten",
        confirm_intro: "Jemand, hoffentlich Sie, hat {site} gebeten, diese Adresse zu benachrichtigen, wenn jemand auf den Kommentar zu {page} antwortet.",
        confirm_action: "Zum Bestätigen öffnen Sie diesen Link (er fragt, bevor er handelt, und gilt eine Woche):",
        confirm_link: "Bestätigen",
        confirm_ignore: "Wenn Sie es nicht waren, tun Sie nichts: Diese Adresse erhält keine weitere E-Mail.",
        reply_subject: "{author} hat auf Ihren Kommentar zu {page} geantwortet",
        reply_intro: "{name}, {author} hat auf Ihren Kommentar auf {site} geantwortet, auf der Seite {page}:",
        mute: "Keine Antworten mehr von dieser Seite",
        stop: "Gar keine E-Mails mehr",
        why: "Sie erhalten diese E-Mail, weil Sie um Benachrichtigung bei Antworten gebeten haben.",
        footer: "Causerie, die Kommentare von {site}.",
    },
    MailWords {
        tag: "es",
        rtl: false,
        confirm_subject: "Confirme que quiere recibir las respuestas por correo",
        confirm_intro: "Alguien, esperamos que usted, pidió a {site} que escriba a esta dirección cuando alguien responda a su comentario en {page}.",
        confirm_action: "Para confirmar, abra este enlace (pregunta antes de actuar y sirve durante una semana):",
        confirm_link: "Confirmar",
        confirm_ignore: "Si no fue usted, no haga nada: esta dirección no recibirá ningún otro correo.",
        reply_subject: "{author} respondió a su comentario en {page}",
        reply_intro: "{name}, {author} respondió a su comentario en {site}, en la página {page}:",
        mute: "No más respuestas de esta página",
        stop: "Ningún correo más",
        why: "Recibe este correo porque pidió que le avisaran de las respuestas.",
        footer: "Causerie, los comentarios de {site}.",
    },
    MailWords {
        tag: "it",
        rtl: false,
        confirm_subject: "Conferma che vuoi ricevere le risposte via email",
        confirm_intro: "Qualcuno, speriamo tu, ha chiesto a {site} di scrivere a questo indirizzo quando qualcuno risponde al suo commento su {page}.",
        confirm_action: "Per confermare, apri questo link (chiede prima di agire e vale una settimana):",
        confirm_link: "Conferma",
        confirm_ignore: "Se non sei stato tu, non fare nulla: questo indirizzo non riceverà altre email.",
        reply_subject: "{author} ha risposto al tuo commento su {page}",
        reply_intro: "{name}, {author} ha risposto al tuo commento su {site}, nella pagina {page}:",
        mute: "Niente più risposte da questa pagina",
        stop: "Nessuna email in più",
        why: "Ricevi questa email perché hai chiesto di essere avvisato delle risposte.",
        footer: "Causerie, i commenti di {site}.",
    },
    MailWords {
        tag: "pt",
        rtl: false,
        confirm_subject: "Confirme que quer receber as respostas por e-mail",
        confirm_intro: "Alguém, esperamos que você, pediu a {site} para escrever para este endereço quando alguém responder ao seu comentário em {page}.",
        confirm_action: "Para confirmar, abra este link (ele pergunta antes de agir e vale por uma semana):",
        confirm_link: "Confirmar",
        confirm_ignore: "Se não foi você, não faça nada: este endereço não receberá nenhum outro e-mail.",
        reply_subject: "{author} respondeu ao seu comentário em {page}",
        reply_intro: "{name}, {author} respondeu ao seu comentário em {site}, na página {page}:",
        mute: "Chega de respostas desta página",
        stop: "Nenhum e-mail mais",
        why: "Você recebe este e-mail porque pediu para ser avisado das respostas.",
        footer: "Causerie, os comentários de {site}.",
    },
    MailWords {
        tag: "nl",
        rtl: false,
        confirm_subject: "Bevestig dat u reacties per e-mail wilt ontvangen",
        confirm_intro: "Iemand, hopelijk u, heeft {site} gevraagd dit adres te mailen wanneer iemand reageert op de reactie op {page}.",
        confirm_action: "Open deze link om te bevestigen (hij vraagt eerst, en werkt een week):",
        confirm_link: "Bevestigen",
        confirm_ignore: "Was u het niet? Doe dan niets: dit adres krijgt geen andere e-mail.",
        reply_subject: "{author} heeft gereageerd op uw reactie op {page}",
        reply_intro: "{name}, {author} heeft gereageerd op uw reactie op {site}, op de pagina {page}:",
        mute: "Geen reacties meer van deze pagina",
        stop: "Helemaal geen e-mail meer",
        why: "U krijgt deze e-mail omdat u vroeg om bericht bij reacties.",
        footer: "Causerie, de reacties van {site}.",
    },
    MailWords {
        tag: "pl",
        rtl: false,
        confirm_subject: "Potwierdź, że chcesz otrzymywać odpowiedzi e-mailem",
        confirm_intro: "Ktoś, mamy nadzieję, że Ty, poprosił {site} o wysyłanie wiadomości na ten adres, gdy ktoś odpowie na komentarz na {page}.",
        confirm_action: "Aby potwierdzić, otwórz ten link (pyta przed działaniem i jest ważny tydzień):",
        confirm_link: "Potwierdź",
        confirm_ignore: "Jeśli to nie Ty, nic nie rób: ten adres nie dostanie żadnej innej wiadomości.",
        reply_subject: "{author} odpowiada na Twój komentarz na {page}",
        reply_intro: "{name}, {author} odpowiada na Twój komentarz w {site}, na stronie {page}:",
        mute: "Bez odpowiedzi z tej strony",
        stop: "Żadnych wiadomości",
        why: "Dostajesz tę wiadomość, bo prosisz o powiadomienia o odpowiedziach.",
        footer: "Causerie, komentarze {site}.",
    },
    MailWords {
        tag: "ru",
        rtl: false,
        confirm_subject: "Подтвердите, что хотите получать ответы по почте",
        confirm_intro: "Кто-то, надеемся, вы, попросил {site} писать на этот адрес, когда кто-то ответит на комментарий на {page}.",
        confirm_action: "Чтобы подтвердить, откройте эту ссылку (она спросит, прежде чем действовать, и действует неделю):",
        confirm_link: "Подтвердить",
        confirm_ignore: "Если это были не вы, ничего не делайте: на этот адрес больше ничего не придёт.",
        reply_subject: "{author} ответил(а) на ваш комментарий на {page}",
        reply_intro: "{name}, {author} ответил(а) на ваш комментарий на {site}, на странице {page}:",
        mute: "Больше не присылать ответы с этой страницы",
        stop: "Больше никаких писем",
        why: "Вы получили это письмо, потому что просили сообщать об ответах.",
        footer: "Causerie, комментарии {site}.",
    },
    MailWords {
        tag: "uk",
        rtl: false,
        confirm_subject: "Підтвердьте, що хочете отримувати відповіді поштою",
        confirm_intro: "Хтось, сподіваємося, ви, попросив {site} писати на цю адресу, коли хтось відповість на коментар на {page}.",
        confirm_action: "Щоб підтвердити, відкрийте це посилання (воно запитає, перш ніж діяти, і діє тиждень):",
        confirm_link: "Підтвердити",
        confirm_ignore: "Якщо це були не ви, нічого не робіть: на цю адресу більше нічого не надійде.",
        reply_subject: "{author} відповів(ла) на ваш коментар на {page}",
        reply_intro: "{name}, {author} відповів(ла) на ваш коментар на {site}, на сторінці {page}:",
        mute: "Більше жодних відповідей з цієї сторінки",
        stop: "Більше жодних листів",
        why: "Ви отримали цей лист, бо просили повідомляти про відповіді.",
        footer: "Causerie, коментарі {site}.",
    },
    MailWords {
        tag: "ar",
        rtl: true,
        confirm_subject: "أكّد رغبتك في تلقي الردود عبر البريد الإلكتروني",
        confirm_intro: "طلب أحدهم، ونأمل أن تكون أنت، من {site} مراسلة هذا العنوان عندما يرد أحد على تعليقه في {page}.",
        confirm_action: "للتأكيد، افتح هذا الرابط (يسألك قبل أن ينفّذ، ويعمل لمدة أسبوع):",
        confirm_link: "تأكيد",
        confirm_ignore: "إن لم تكن أنت، فلا تفعل شيئًا: لن يصل هذا العنوان أي بريد آخر.",
        reply_subject: "ردّ {author} على تعليقك في {page}",
        reply_intro: "{name}، ردّ {author} على تعليقك في {site}، في الصفحة {page}:",
        mute: "لا مزيد من الردود من هذه الصفحة",
        stop: "لا مزيد من البريد إطلاقًا",
        why: "تصلك هذه الرسالة لأنك طلبت إعلامك بالردود.",
        footer: "Causerie، تعليقات {site}.",
    },
    MailWords {
        tag: "ja",
        rtl: false,
        confirm_subject: "返信をメールで受け取るには確認してください",
        confirm_intro: "どなたか（おそらくあなた）が、{page} へのコメントに返信があったときにこのアドレスへ知らせるよう {site} に依頼しました。",
        confirm_action: "確認するには、このリンクを開いてください（実行前に確認があり、1週間有効です）：",
        confirm_link: "確認する",
        confirm_ignore: "心当たりがなければ、何もしないでください。このアドレスに他のメールは届きません。",
        reply_subject: "{author} さんが {page} のあなたのコメントに返信しました",
        reply_intro: "{name} さん、{author} さんが {site} のページ {page} であなたのコメントに返信しました：",
        mute: "このページからの返信を止める",
        stop: "すべてのメールを止める",
        why: "返信の通知を希望されたため、このメールをお送りしています。",
        footer: "Causerie — {site} のコメント",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_of_the_widget_has_its_mail_words() {
        for locale in causerie_i18n::LOCALES.iter() {
            let words = of(locale.tag);
            assert_eq!(words.tag, locale.tag, "the mail speaks {}", locale.tag);
            assert_eq!(words.rtl, locale.rtl, "{}", locale.tag);
            for text in [words.confirm_intro, words.reply_intro] {
                assert!(
                    text.contains("{site}") && text.contains("{page}"),
                    "{}: {text}",
                    words.tag
                );
            }
            assert!(words.reply_subject.contains("{author}"), "{}", words.tag);
            assert!(
                words.reply_intro.contains("{name}") && words.reply_intro.contains("{author}"),
                "{}",
                words.tag
            );
        }
        assert_eq!(of("fr-CA").tag, "fr");
        assert_eq!(of("xx").tag, "en");
        assert_eq!(
            fill("{author} et {page}", &[("author", "Zoé"), ("page", "/a")]),
            "Zoé et /a"
        );
    }
}
