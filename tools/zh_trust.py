"""Chinese for what the portal says while a form is on its way, offline, or sent twice (issue 26)."""
ZH = {
    "This was saved already; it was not saved twice.": "这份内容刚才已经保存过，没有重复保存。",
    "The same form is still being saved. Please look again in a moment.": "同样的内容正在保存，请稍后再查看。",
    "Saving…": "正在保存…",
    "The request failed. Please reload the page and try again.": "操作没有成功，请刷新页面后重试。",
    "The network is down. What you typed is kept on this phone; tap again when the network is back.":
        "网络已断开。您填写的内容已保存在本机，网络恢复后请再点一次。",
    "The network is back.": "网络已恢复。",
    "What you typed last time and did not save has been filled in again.": "已填回您上次填写但尚未保存的内容。",
    "Start afresh": "清空重填",
    "Check-in opens at %(when)s.": "签到将于 %(when)s 开始。",
    "Check-in closed at %(when)s.": "签到已于 %(when)s 结束。",
    "Attendance is ticked after the event has started.": "活动开始后才能勾选到场家庭。",
    "Matched, the pair is to be confirmed": "已对接，结对待确认",
    "The pair is paused": "结对暂停中",
    "Open the pair": "查看结对",
    "Not suggested: %(names)s. An earlier pair with this beneficiary was closed as “do not pair again”.":
        "未推荐：%(names)s。此前与该帮扶对象的结对结束时选择了“不再重新配对”。",
    "This mobile number is already on record for %(name)s. If it is the same person, edit that record instead.":
        "这个手机号已登记给志愿者 %(name)s。如是同一人，请编辑原有记录，不要重复录入。",
}
