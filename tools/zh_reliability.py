"""Chinese for the page and the htmx message shown when the database cannot be reached."""
ZH = {
    "Service temporarily unavailable": "系统暂时无法使用",
    "The system cannot reach its database just now. Please try again in a few minutes.": "系统暂时无法连接数据库，请稍后再试。",
}
