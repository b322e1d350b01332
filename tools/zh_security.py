"""Chinese for what issue 27 (security and reliability) adds."""
ZH = {
    "The volunteer was deactivated.": "志愿者已停用",
    "The student’s record was deactivated.": "学生档案已停用",
    "A volunteer left a pair": "志愿者退出结对",
    "Please choose a status from the list.": "请从列表中选择状态。",
    "%(n)d offers paused": "暂停了 %(n)d 条资源",
    "left %(n)d running pairs (a pair they held alone ended, its needs back on the menu)":
        "退出了 %(n)d 个进行中的结对（其独自负责的结对已结束，需求回到菜单）",
    "taken off %(n)d events still to come": "撤下了 %(n)d 项还未开始的活动",
    "%(n)d waiting needs closed": "关闭了 %(n)d 条待对接的需求",
    "%(n)d running pairs ended": "%(n)d 个进行中的结对已结束",
    "%(n)d registrations still to come cancelled, their seats given to families waiting":
        "取消了 %(n)d 个还未开始的报名，座位已让给候补家庭",
    " Also: %(what)s.": "同时：%(what)s。",
    "Deactivate this volunteer? Their login stops working at once; their running pairs end or go on with the other "
    "volunteers, and they come off events still to come. The record and its history are kept and can be reactivated.":
        "停用这名志愿者？其账号随即不能登录；进行中的结对将结束或由其他志愿者继续，还未开始的活动将撤下其名字。档案和历史记录都保留，可以重新启用。",
    "Deactivate this family? Its parents’ logins stop working at once, and its registrations still to come are "
    "cancelled, the seats going to families waiting. The record and its history are kept and can be reactivated.":
        "停用这个家庭？家长账号随即不能登录，还未开始的报名将取消，座位让给候补家庭。档案和历史记录都保留，可以重新启用。",
    "Deactivate this student’s record? Their waiting needs close and their running pairs end. The record and its "
    "history are kept and can be reactivated.":
        "停用这名学生的档案？其待对接的需求将关闭，进行中的结对将结束。档案和历史记录都保留，可以重新启用。",
    "This password from the school has expired unused. Please ask the school to open your login again.":
        "学校给的这个临时密码已过期未用，请联系学校重新开通账号。",
    "Please choose a password of your own, not the one the school gave you.": "请设置您自己的密码，不要沿用学校给的临时密码。",
    "Your password is set. From now on, log in with it.": "密码已设置好，以后请用这个新密码登录。",
    "Set your own password": "设置您自己的密码",
    "You logged in with the password the school gave you. Please choose one that only you know; from now on you log "
    "in with it.": "您用的是学校给的临时密码。请设置一个只有您自己知道的新密码，以后就用它登录。",
    "Save my password": "保存我的密码",
    "Give these details to %(name)s. The password is shown only once. It works for %(days)d days, and at the first "
    "login they choose their own.": "请把以下信息交给%(name)s。密码只显示这一次，%(days)d 天内有效，首次登录时需设置自己的新密码。",
    "Set their own password in place of the school's": "设置了自己的密码（替换学校给的临时密码）",
    "Many people are doing this at the same moment. Please try again in a minute.": "人数较多，请稍后再试（约一分钟后）。",
}
