//! Português.

use crate::{Counts, Table};

pub(crate) const TABLE: Table = [
    "Deixe um comentário",
    "Seu endereço de e-mail não será publicado.",
    "Os campos obrigatórios estão marcados com *",
    "Comentário",
    "Nome",
    "E-mail",
    "Site",
    "Salvar meu nome, e-mail e site neste navegador para a próxima vez que eu comentar.",
    "Publicar comentário",
    "Publicando…",
    "Seu comentário foi publicado.",
    "Obrigado! Seu comentário está aguardando moderação.",
    "Corrija os campos assinalados no formulário.",
    "Não foi possível enviar seu comentário. Nada foi perdido: verifique sua conexão e tente novamente.",
    "O servidor recusou este comentário.",
    "Muitos comentários em pouco tempo: tente novamente em # min.",
    "Este comentário já foi publicado.",
    "Este comentário não pode ser publicado aqui.",
    "Foi rápido! Releia o comentário e envie-o novamente.",
    "Aguardando moderação",
    "Este comentário foi excluído.",
    "Responder",
    "Cancelar resposta",
    "Responder a #",
    "Em resposta a #",
    "Mostrar mais comentários",
    "Editar",
    "Excluir",
    "Salvar",
    "Cancelar",
    "Excluir este comentário? Isso não pode ser desfeito.",
    "O prazo para editar este comentário terminou.",
    "Escreva seu comentário.",
    "Informe seu nome.",
    "Informe seu endereço de e-mail.",
    "Este campo é obrigatório.",
    "Seu comentário é longo demais: no máximo 10.000 caracteres.",
    "Seu nome é longo demais: no máximo 100 caracteres.",
    "Este endereço é longo demais: no máximo 254 caracteres.",
    "Este endereço é longo demais: no máximo 2.048 caracteres.",
    "Informe um endereço de e-mail válido, como nome@exemplo.com.",
    "Informe um endereço da web que comece com http:// ou https://.",
    "O texto contém caracteres de controle que não podem ser salvos.",
];

/// How many comments, by CLDR plural category.
pub(crate) const COUNTS: Counts = Counts {
    none: "Ainda não há comentários",
    forms: &[
        ("one", "# comentário"),
        ("many", "# de comentários"),
        ("other", "# comentários"),
    ],
};
