//! English.

use crate::{Counts, Table};

pub(crate) const TABLE: Table = [
    "Leave a Reply",
    "Your email address will not be published.",
    "Required fields are marked *",
    "Comment",
    "Name",
    "Email",
    "Website",
    "Save my name, email, and website in this browser for the next time I comment.",
    "Post Comment",
    "Posting…",
    "Your comment is published.",
    "Thank you! Your comment is awaiting moderation.",
    "Please correct the fields marked in the form.",
    "Your comment could not be sent. Nothing is lost: check your connection and try again.",
    "The server refused this comment.",
    "Too many comments in a short time: please try again in # min.",
    "You have already posted this comment.",
    "This comment cannot be published here.",
    "That was quick! Please read your comment over, then post it again.",
    "Awaiting moderation",
    "This comment was deleted.",
    "Reply",
    "Cancel reply",
    "Reply to #",
    "In reply to #",
    "Show more comments",
    "Please type your comment.",
    "Please enter your name.",
    "Please enter your email address.",
    "This field is required.",
    "Your comment is too long: 10,000 characters at most.",
    "Your name is too long: 100 characters at most.",
    "This address is too long: 254 characters at most.",
    "This address is too long: 2,048 characters at most.",
    "Please enter a valid email address, such as name@example.com.",
    "Please enter a web address starting with http:// or https://.",
    "This contains control characters that cannot be saved.",
];

/// "3 comments".
pub(crate) const COUNTS: Counts = Counts {
    none: "No comments yet",
    forms: &[("one", "# comment"), ("other", "# comments")],
};
