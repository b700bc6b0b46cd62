//! The words of a commenter's mails, and of the pages their links open, in each language
//! the widget speaks: the language the commenter wrote in (`lang` of their comment),
//! else English. `{site}`, `{page}`, `{author}` and `{name}` are filled in, then the
//! whole is escaped by the templates.

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
    // The pages of the commenter's links (`subscribe.rs`); `mute` and `stop` are their
    // buttons too.
    pub page_title: &'static str,
    pub invalid: &'static str,
    pub ask_confirm: &'static str,
    /// What confirming a comment means: its browser's comments become the address's.
    pub mine: &'static str,
    pub confirm_button: &'static str,
    pub confirmed: &'static str,
    pub ask_stop: &'static str,
    pub muted: &'static str,
    pub stopped: &'static str,
}

/// The words of `tag`'s language (`fr-CA` gives French), else English.
pub fn of(tag: &str) -> &'static MailWords {
    find(tag).unwrap_or(&WORDS[0])
}

/// The words of `tag`'s language, if it is one of them.
fn find(tag: &str) -> Option<&'static MailWords> {
    let primary = tag
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    WORDS.iter().find(|w| w.tag == primary)
}

/// The words of a link's page: the mail's language (`l`, which its links carry), else
/// the first of `Accept-Language` that the mails speak, else English.
pub fn of_page(l: Option<&str>, headers: &axum::http::HeaderMap) -> &'static MailWords {
    l.and_then(find)
        .or_else(|| crate::text::accepted(headers).into_iter().find_map(find))
        .unwrap_or(&WORDS[0])
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
        page_title: "Replies by email",
        invalid: "This link opens nothing: it was used already, it expired, or it is not one of ours.",
        ask_confirm: "Email this address when someone replies to your comments?",
        mine: "Confirm only if you wrote this comment: the comments of the browser that wrote it become yours, with your picture, on each device where you confirm one.",
        confirm_button: "Yes, email me",
        confirmed: "Confirmed: you will hear of replies to the comments for which you asked.",
        ask_stop: "Which email should stop?",
        muted: "Done: no more replies from this page.",
        stopped: "Done: this address gets no more email.",
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
        page_title: "Réponses par e-mail",
        invalid: "Ce lien n’ouvre rien : il a déjà servi, il a expiré, ou il n’est pas des nôtres.",
        ask_confirm: "Écrire à cette adresse quand quelqu’un répond à vos commentaires ?",
        mine: "Ne confirmez que si vous avez écrit ce commentaire : les commentaires du navigateur qui l’a écrit deviennent les vôtres, avec votre image, sur chaque appareil où vous en confirmez un.",
        confirm_button: "Oui, écrivez-moi",
        confirmed: "C’est confirmé : vous saurez quand on répond aux commentaires pour lesquels vous l’avez demandé.",
        ask_stop: "Quels e-mails arrêter ?",
        muted: "C’est fait : plus de réponses de cette page.",
        stopped: "C’est fait : cette adresse ne reçoit plus rien.",
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
        page_title: "Antworten per E-Mail",
        invalid: "Dieser Link öffnet nichts: Er wurde schon benutzt, ist abgelaufen oder stammt nicht von uns.",
        ask_confirm: "Diese Adresse benachrichtigen, wenn jemand auf Ihre Kommentare antwortet?",
        mine: "Bestätigen Sie nur, wenn Sie diesen Kommentar geschrieben haben: Die Kommentare des Browsers, der ihn schrieb, werden dann Ihre, mit Ihrem Bild, auf jedem Gerät, auf dem Sie einen bestätigen.",
        confirm_button: "Ja, benachrichtigen Sie mich",
        confirmed: "Bestätigt: Sie erfahren von Antworten auf die Kommentare, für die Sie es wünschten.",
        ask_stop: "Welche E-Mails sollen aufhören?",
        muted: "Erledigt: keine Antworten mehr von dieser Seite.",
        stopped: "Erledigt: Diese Adresse erhält keine E-Mails mehr.",
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
        page_title: "Respuestas por correo",
        invalid: "Este enlace no abre nada: ya se usó, caducó o no es nuestro.",
        ask_confirm: "¿Escribir a esta dirección cuando alguien responda a sus comentarios?",
        mine: "Confirme solo si usted escribió este comentario: los comentarios del navegador que lo escribió pasan a ser suyos, con su imagen, en cada dispositivo donde confirme uno.",
        confirm_button: "Sí, escríbanme",
        confirmed: "Confirmado: sabrá de las respuestas a los comentarios en los que lo pidió.",
        ask_stop: "¿Qué correos deben parar?",
        muted: "Hecho: no más respuestas de esta página.",
        stopped: "Hecho: esta dirección ya no recibe correos.",
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
        page_title: "Risposte via email",
        invalid: "Questo link non apre nulla: è già stato usato, è scaduto o non è nostro.",
        ask_confirm: "Scrivere a questo indirizzo quando qualcuno risponde ai tuoi commenti?",
        mine: "Conferma solo se hai scritto tu questo commento: i commenti del browser che l’ha scritto diventano tuoi, con la tua immagine, su ogni dispositivo dove ne confermi uno.",
        confirm_button: "Sì, scrivetemi",
        confirmed: "Confermato: saprai delle risposte ai commenti per cui l’hai chiesto.",
        ask_stop: "Quali email fermare?",
        muted: "Fatto: niente più risposte da questa pagina.",
        stopped: "Fatto: questo indirizzo non riceve più email.",
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
        page_title: "Respostas por e-mail",
        invalid: "Este link não abre nada: já foi usado, expirou ou não é nosso.",
        ask_confirm: "Escrever para este endereço quando alguém responder aos seus comentários?",
        mine: "Confirme apenas se você escreveu este comentário: os comentários do navegador que o escreveu passam a ser seus, com sua imagem, em cada dispositivo onde você confirmar um.",
        confirm_button: "Sim, me escrevam",
        confirmed: "Confirmado: você saberá das respostas aos comentários em que pediu.",
        ask_stop: "Quais e-mails devem parar?",
        muted: "Pronto: chega de respostas desta página.",
        stopped: "Pronto: este endereço não recebe mais e-mails.",
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
        page_title: "Reacties per e-mail",
        invalid: "Deze link opent niets: hij is al gebruikt, verlopen of niet van ons.",
        ask_confirm: "Dit adres mailen wanneer iemand op uw reacties antwoordt?",
        mine: "Bevestig alleen als u deze reactie schreef: de reacties van de browser die haar schreef worden dan de uwe, met uw afbeelding, op elk apparaat waar u er een bevestigt.",
        confirm_button: "Ja, mail mij",
        confirmed: "Bevestigd: u hoort van antwoorden op de reacties waarvoor u het vroeg.",
        ask_stop: "Welke e-mail moet stoppen?",
        muted: "Klaar: geen antwoorden meer van deze pagina.",
        stopped: "Klaar: dit adres krijgt geen e-mail meer.",
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
        page_title: "Odpowiedzi e-mailem",
        invalid: "Ten link niczego nie otwiera: został już użyty, wygasł albo nie jest nasz.",
        ask_confirm: "Pisać na ten adres, gdy ktoś odpowie na Twoje komentarze?",
        mine: "Potwierdź tylko, jeśli to Ty napisałeś ten komentarz: komentarze przeglądarki, w której powstał, staną się Twoje, z Twoim obrazkiem, na każdym urządzeniu, na którym potwierdzisz jeden z nich.",
        confirm_button: "Tak, piszcie do mnie",
        confirmed: "Potwierdzone: dowiesz się o odpowiedziach na komentarze, przy których o to prosiłeś.",
        ask_stop: "Które e-maile zatrzymać?",
        muted: "Gotowe: koniec odpowiedzi z tej strony.",
        stopped: "Gotowe: ten adres nie dostaje już e-maili.",
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
        page_title: "Ответы по почте",
        invalid: "Эта ссылка ничего не открывает: она уже использована, устарела или не наша.",
        ask_confirm: "Писать на этот адрес, когда кто-то отвечает на ваши комментарии?",
        mine: "Подтверждайте, только если этот комментарий написали вы: комментарии браузера, в котором он написан, станут вашими, с вашей картинкой, на каждом устройстве, где вы подтвердите один из них.",
        confirm_button: "Да, пишите мне",
        confirmed: "Подтверждено: вы узнаете об ответах на комментарии, для которых вы это просили.",
        ask_stop: "Какие письма прекратить?",
        muted: "Готово: больше никаких ответов с этой страницы.",
        stopped: "Готово: этот адрес больше не получает писем.",
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
        page_title: "Відповіді поштою",
        invalid: "Це посилання нічого не відкриває: його вже використано, воно застаріло або воно не наше.",
        ask_confirm: "Писати на цю адресу, коли хтось відповідає на ваші коментарі?",
        mine: "Підтверджуйте, лише якщо цей коментар написали ви: коментарі браузера, у якому його написано, стануть вашими, з вашим зображенням, на кожному пристрої, де ви підтвердите один із них.",
        confirm_button: "Так, пишіть мені",
        confirmed: "Підтверджено: ви дізнаєтеся про відповіді на коментарі, для яких ви це просили.",
        ask_stop: "Які листи припинити?",
        muted: "Готово: більше жодних відповідей з цієї сторінки.",
        stopped: "Готово: ця адреса більше не отримує листів.",
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
        page_title: "الردود بالبريد الإلكتروني",
        invalid: "هذا الرابط لا يفتح شيئًا: استُخدم من قبل، أو انتهت صلاحيته، أو ليس من روابطنا.",
        ask_confirm: "هل نراسل هذا العنوان عندما يرد أحد على تعليقاتك؟",
        mine: "لا تؤكد إلا إذا كنت كاتب هذا التعليق: تصبح تعليقات المتصفح الذي كتبه تعليقاتك، بصورتك، على كل جهاز تؤكد فيه تعليقًا.",
        confirm_button: "نعم، راسلوني",
        confirmed: "تم التأكيد: ستعرف بالردود على التعليقات التي طلبت ذلك لها.",
        ask_stop: "أي رسائل نوقف؟",
        muted: "تم: لا مزيد من الردود من هذه الصفحة.",
        stopped: "تم: لن يتلقى هذا العنوان أي رسائل بعد الآن.",
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
        page_title: "返信のメール通知",
        invalid: "このリンクでは何も開けません。すでに使われたか、期限が切れたか、当サイトのものではありません。",
        ask_confirm: "あなたのコメントに返信があったとき、このアドレスにメールしますか？",
        mine: "このコメントを書いたのがあなたの場合だけ確認してください。書いたブラウザーのコメントがあなたのものになり、確認した各端末で同じ画像になります。",
        confirm_button: "はい、メールしてください",
        confirmed: "確認しました。お求めのコメントへの返信をお知らせします。",
        ask_stop: "どのメールを止めますか？",
        muted: "完了しました。このページからの返信はもう届きません。",
        stopped: "完了しました。このアドレスにはもうメールを送りません。",
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
        let mut headers = axum::http::HeaderMap::new();
        headers.insert("accept-language", "xx, uk;q=0.9, en;q=0.8".parse().unwrap());
        assert_eq!(of_page(None, &headers).tag, "uk");
        assert_eq!(
            of_page(Some("ar"), &headers).tag,
            "ar",
            "the mail's own first"
        );
        assert_eq!(of_page(Some("xx"), &headers).tag, "uk");
        assert_eq!(of_page(None, &Default::default()).tag, "en");
        assert_eq!(of("fr-CA").tag, "fr");
        assert_eq!(of("xx").tag, "en");
        assert_eq!(
            fill("{author} et {page}", &[("author", "Zoé"), ("page", "/a")]),
            "Zoé et /a"
        );
    }
}
