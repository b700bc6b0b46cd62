//! Español.

use crate::{Counts, Table};

pub(crate) const TABLE: Table = [
    "Deja una respuesta",
    "Tu dirección de correo electrónico no se publicará.",
    "Los campos obligatorios están marcados con *",
    "Comentario",
    "Nombre",
    "Correo electrónico",
    "Web",
    "Guardar mi nombre, correo electrónico y web en este navegador para la próxima vez que comente.",
    "Publicar el comentario",
    "Publicando…",
    "Tu comentario se ha publicado.",
    "¡Gracias! Tu comentario está pendiente de moderación.",
    "Corrige los campos marcados en el formulario.",
    "No se ha podido enviar tu comentario. No se ha perdido nada: comprueba tu conexión y vuelve a intentarlo.",
    "El servidor ha rechazado este comentario.",
    "Demasiados comentarios en poco tiempo: inténtalo de nuevo dentro de # min.",
    "Ya has publicado este comentario.",
    "Este comentario no se puede publicar aquí.",
    "¡Qué rápido! Relee tu comentario y vuelve a enviarlo.",
    "Pendiente de moderación",
    "Este comentario se ha eliminado.",
    "Responder",
    "Cancelar respuesta",
    "Responder a #",
    "En respuesta a #",
    "Mostrar más comentarios",
    "Editar",
    "Eliminar",
    "Guardar",
    "Cancelar",
    "¿Eliminar este comentario? No se puede deshacer.",
    "El plazo para editar este comentario ha terminado.",
    "Escribe tu comentario.",
    "Indica tu nombre.",
    "Indica tu dirección de correo electrónico.",
    "Este campo es obligatorio.",
    "Tu comentario es demasiado largo: 10 000 caracteres como máximo.",
    "Tu nombre es demasiado largo: 100 caracteres como máximo.",
    "Esta dirección es demasiado larga: 254 caracteres como máximo.",
    "Esta dirección es demasiado larga: 2048 caracteres como máximo.",
    "Introduce una dirección de correo electrónico válida, como nombre@ejemplo.com.",
    "Introduce una dirección web que empiece por http:// o https://.",
    "El texto contiene caracteres de control que no se pueden guardar.",
];

/// How many comments, by CLDR plural category.
pub(crate) const COUNTS: Counts = Counts {
    none: "Todavía no hay comentarios",
    forms: &[
        ("one", "# comentario"),
        ("many", "# de comentarios"),
        ("other", "# comentarios"),
    ],
};
