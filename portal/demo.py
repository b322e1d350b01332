"""A believable demo school in Chinese, and a district's worth of them for benchmarks."""
import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import insert, select

from .auth.models import User
from .auth.services import hash_password
from .core.errors import saving
from .core.models import utcnow
from .events.models import Event, event_leads
from .extensions import db
from .hours.models import HourEntry
from .menus.slots import slot_bit
from .needs.models import Need
from .offers.models import Offer
from .pairs.models import Pair, PairNeed, PairVolunteer, Visit
from .people.models import (
    DEFAULT_CATEGORIES,
    DEFAULT_SUPPORT_TAGS,
    Category,
    Consent,
    Family,
    Guardian,
    School,
    SchoolClass,
    Student,
    SupportTag,
    Term,
    Volunteer,
    YoungTeacher,
    initials,
    student_tags,
)

DEMO_PASSWORD = "guanai-demo"

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
            "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = ("子涵 欣怡 梓涵 晨曦 紫涵 诗涵 梦琪 嘉怡 子萱 雨涵 浩宇 浩然 宇轩 宇航 子轩 俊杰 博文 梓豪 皓轩 一诺 "
         "思远 明轩 雨泽 天佑 欣然 佳怡 可馨 语桐 若汐 芷若 沐阳 承泽 睿 涛 磊 静 敏 婷 杰 强 晨 阳 悦 琪 昊 彤 萌 "
         "思琪 雅琪 家豪 嘉豪 子墨 奕辰 诗雨 一鸣 梓萱 昕怡 锦程 宏宇 立诚 安琪 若曦 瑞 航 蕾 颖 露 洁").split()
ELDER_GIVEN = "建国 建华 国庆 秀英 桂英 玉兰 志强 志明 福生 德华 淑珍 丽华 永庆 春生 国华 文斌 凤英 振华 秀兰 宝山".split()
VOLUNTEER_SKILLS = {
    "老干部": ("思想引导, 党史教育", "红色故事宣讲", "法治安全, 社区协调"),
    "老战士": ("国防教育, 红色故事宣讲", "纪律养成, 体育锻炼", "革命传统教育"),
    "老专家": ("心理咨询, 生涯规划", "科普讲座, 物理", "家庭教育指导, 心理疏导", "医疗保健, 生活帮困"),
    "老教师": ("数学, 学业辅导", "语文, 作文辅导", "英语, 学业辅导", "书法, 兴趣特长", "青年教师成长, 课堂教学"),
    "老模范": ("劳动教育, 生活帮困", "志愿服务, 社区服务", "道德榜样宣讲"),
}
RELATIONS = ("父亲", "母亲", "祖父", "祖母", "外祖母")


def _name(rng, pool=GIVEN):
    return rng.choice(SURNAMES) + rng.choice(pool)


def _school(name, rng, classes_per_grade, per_class, mobile_base, tagged_share=0.08):
    """Insert one school with bulk statements; returns the School."""
    school = School(name=name)
    db.session.add(school)
    db.session.flush()
    sid = school.id
    db.session.add_all([Term(school_id=sid, name="2025–2026学年第二学期", starts_on=date(2026, 2, 16),
                             ends_on=date(2026, 7, 10)),
                        Term(school_id=sid, name="2026–2027学年第一学期", starts_on=date(2026, 9, 1),
                             ends_on=date(2027, 1, 29), is_current=True)])
    db.session.add_all([Category(school_id=sid, name=n, sort_order=i) for i, n in enumerate(DEFAULT_CATEGORIES)])
    tags = [SupportTag(school_id=sid, name=n) for n in DEFAULT_SUPPORT_TAGS]
    db.session.add_all(tags)
    classes = [SchoolClass(school_id=sid, grade=g, name=f"{c}班") for g in range(1, 7)
               for c in range(1, classes_per_grade + 1)]
    db.session.add_all(classes)
    db.session.flush()

    student_rows, family_rows = [], []
    for klass in classes:
        for _ in range(per_class + rng.randint(-2, 2)):
            n = len(student_rows) + 1
            name = _name(rng)
            entry_year = 2026 - klass.grade + 1
            student_rows.append({
                "school_id": sid, "student_no": f"{entry_year}{klass.id % 100:02d}{n:04d}", "name": name,
                "name_initials": initials(name), "gender": rng.choice("男女"), "class_id": klass.id,
                "birth_date": date(2026 - klass.grade - 6, rng.randint(1, 12), rng.randint(1, 28)),
            })
            # About one family in twenty has a sibling already in the school.
            if family_rows and rng.random() < 0.05:
                student_rows[-1]["family_index"] = rng.randrange(len(family_rows))
            else:
                student_rows[-1]["family_index"] = len(family_rows)
                family_rows.append({"school_id": sid, "name": f"{name}家", "name_initials": initials(name),
                                    "address": f"滨湖区{rng.choice('东南西北')}苑{rng.randint(1, 40)}幢"})
    family_ids = list(db.session.scalars(insert(Family).returning(Family.id, sort_by_parameter_order=True),
                                         family_rows))
    guardian_rows = []
    for i, fam in enumerate(family_rows):
        surname = fam["name"][0]
        for relation in rng.sample(RELATIONS[:2], k=rng.choice((1, 2, 2))):
            guardian_rows.append({"school_id": sid, "family_id": family_ids[i], "relation": relation,
                                  "name": (surname if relation == "父亲" else rng.choice(SURNAMES)) + rng.choice(GIVEN),
                                  "mobile": f"1{mobile_base + len(guardian_rows):010d}"})
    db.session.execute(insert(Guardian), guardian_rows)
    for row in student_rows:
        row["family_id"] = family_ids[row.pop("family_index")]
    student_ids = list(db.session.scalars(insert(Student).returning(Student.id, sort_by_parameter_order=True),
                                          student_rows))
    # Sensitive tags only where a guardian's consent is recorded.
    tagged = rng.sample(student_ids, k=int(len(student_ids) * tagged_share))
    return school, tags, tagged, student_ids


def _volunteers(sid, rng, count, phone_base):
    kinds = list(VOLUNTEER_SKILLS)
    rows = []
    for i in range(count):
        kind = kinds[i % len(kinds)]
        name = _name(rng, ELDER_GIVEN)
        rows.append({"school_id": sid, "name": name, "name_initials": initials(name), "kind": kind,
                     "skills": rng.choice(VOLUNTEER_SKILLS[kind]), "phone": f"1{phone_base + i:010d}",
                     "birth_year": rng.randint(1945, 1964)})
    return list(db.session.scalars(insert(Volunteer).returning(Volunteer.id, sort_by_parameter_order=True), rows))


def _consents_and_tags(sid, rng, tags, student_ids, recorder_id):
    if not student_ids:
        return
    db.session.execute(insert(Consent), [
        {"school_id": sid, "student_id": s, "guardian_name": "监护人", "method": "纸质签字",
         "given_on": date(2026, 9, rng.randint(1, 20)), "recorded_by_id": recorder_id} for s in student_ids])
    db.session.execute(insert(student_tags), [
        {"student_id": s, "tag_id": t.id} for s in student_ids for t in rng.sample(tags, k=rng.choice((1, 1, 2)))])


def seed(scale="school", seed_value=2026, schools=None):
    """The demo school, or a district of 20 schools alike (`schools` more or fewer, for the district's benchmark)."""
    rng = random.Random(seed_value)
    pw = hash_password(DEMO_PASSWORD)
    n_schools, classes_per_grade, per_class, n_vol = (20, 6, 42, 100) if scale == "district" else (1, 4, 38, 40)
    n_schools = schools or n_schools
    names = ["滨湖实验小学"] + [f"滨湖区第{i}实验学校" for i in range(2, n_schools + 1)]
    for index, name in enumerate(names):
        with saving():
            school, tags, tagged, student_ids = _school(name, rng, classes_per_grade, per_class,
                                                        mobile_base=3_000_000_000 + index * 100_000)
            vol_ids = _volunteers(school.id, rng, n_vol, phone_base=5_000_000_000 + index * 10_000)
            if index == 0:
                recorder = _demo_accounts(school, pw, vol_ids[0])
            else:
                recorder = User(school_id=school.id, username=f"coordinator{index + 1}",
                                display_name=f"{name}关工委", role="coordinator", password_hash=pw)
                db.session.add(recorder)
                db.session.flush()
            _consents_and_tags(school.id, rng, tags, tagged, recorder.id)
            _menus(school.id, rng, student_ids, tagged, vol_ids, recorder.id)
            _pairs(school.id, rng, recorder.id, vol_ids[0] if index == 0 else None)
            _events_and_hours(school.id, rng, recorder.id, vol_ids)
            _parent_school(school.id, rng, recorder.id, vol_ids)
            _calendar(school.id, recorder.id, vol_ids)
        if index == 0:
            _help_and_record(school.id, recorder, vol_ids[0])
            _announcements()
    _district(pw)


def _district(pw):
    """The bureau's 关工委 over the schools, with its administrator and an officer and the lines it set; in the
    district demo, two 学区 under it with half of the schools each."""
    from .district.models import Unit, UnitThreshold

    schools = db.session.scalars(select(School).order_by(School.id)).all()
    with saving():
        bureau = Unit(name="滨湖区教育局关工委")
        db.session.add(bureau)
        db.session.flush()
        if len(schools) == 1:
            schools[0].unit_id = bureau.id
        else:
            half = len(schools) // 2
            for name, part in (("湖东学区", schools[:half]), ("湖西学区", schools[half:])):
                area = Unit(name=name, parent_id=bureau.id)
                db.session.add(area)
                db.session.flush()
                for school in part:
                    school.unit_id = area.id
        db.session.add_all([
            User(unit_id=bureau.id, username="district", display_name="区关工委办公室（王主任）", role="unit_admin",
                 password_hash=pw),
            User(unit_id=bureau.id, username="officer", display_name="区关工委 陈老师", role="unit_officer",
                 password_hash=pw),
            *(UnitThreshold(unit_id=bureau.id, figure=key, value=value)
              for key, value in (("coverage", 80), ("attendance", 80), ("satisfaction", 90)))])
    _district_task(schools)


NOTICE_XML = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
              '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{}'
              '</w:body></w:document>')


def demo_docx(*paragraphs: str) -> bytes:
    """A small Word document of the given paragraphs."""
    import io
    import zipfile

    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                   'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                   'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/'
                   'document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.'
                   'main+xml"/></Types>')
        z.writestr("_rels/.rels",
                   '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
                   '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
                   '2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
        z.writestr("word/document.xml", NOTICE_XML.format(body))
    return out.getvalue()


def _district_task(schools):
    """The officer's essay competition, sent to every school with its notice attached: the first school has not
    opened it yet (its office's home page shows it); in the district demo, three others have submitted entries and
    one of them was sent back. And a 上报表册 for the term, part of it filled in by the portal."""
    from .district import tasks
    from .district.models import TaskReturn

    officer = db.session.scalar(select(User).where(User.username == "officer"))
    notice = demo_docx("关于开展2026年“强国有我”主题读书征文活动的通知",
                       "各校关工委：请组织学生开展读书征文活动，每校选送优秀征文不超过5篇，注明作者、班级和指导教师。")
    task = tasks.create(officer, {"kind": "competition", "title": "2026年“强国有我”主题读书征文",
                                  "body": "各校关工委：\n请组织三至六年级学生开展读书征文活动，每校选送优秀征文不超过5篇，"
                                          "注明作者、班级和指导教师，并附活动小结。\n区关工委办公室",
                                  "due_on": date.today() + timedelta(days=12), "parts": ["entries", "summary"]},
                        [("征文活动通知.docx", notice)])
    for index, school in enumerate(schools[1:4], start=1):
        office = db.session.scalar(select(User).where(User.school_id == school.id, User.role == "coordinator"))
        ret = db.session.scalar(select(TaskReturn).where(TaskReturn.task_id == task.id,
                                                         TaskReturn.school_id == school.id))
        for n, (title, author) in enumerate((("我的祖国我的家", "王思远"), ("书香伴我成长", "李欣怡"))[:index]):
            essay = demo_docx(title, f"作者：{author}")
            tasks.add_entry(office, ret, {"title": title, "author": author, "class_name": f"{4 + n}年级{index}班",
                                          "teacher": "陈老师"}, (f"{title}.docx", essay))
        tasks.save_draft(office, ret, f"本校共收到征文{40 + index * 7}篇，经评选选送{index}篇。")
        tasks.submit(office, ret)
        if index == 3:
            tasks.send_back(officer, ret, "请补充第二篇作品的指导教师。")
    tasks.create(officer, {"kind": "report", "title": "2026年秋季学期关工委工作情况统计表",
                           "body": "请各校核对系统预填的数据，补全其余各项后提交。", "due_on": date.today() + timedelta(days=20),
                           "parts": ["figures"], "form_columns": "",
                           "form_rows": "在校学生数|人|以学籍为准|students\n特殊群体学生数|人||tagged\n"
                                        "在册五老志愿者|人||volunteers\n本年度审核通过服务时长|小时||hours\n"
                                        "家长学校授课次数|次|含线上|sessions\n家访次数|次|本学期累计|\n"
                                        "关工委专题会议次数|次||"}, [])


def _help_and_record(sid, admin, volunteer_id):
    """A parent's help request waiting for the office, and a service record issued to the demo volunteer."""
    from .help_requests.models import HelpRequest
    from .hours.recognition import issue_record

    parent = db.session.scalar(select(User).where(User.username == "parent"))
    child = db.session.scalar(select(Student).where(Student.family_id == parent.guardian.family_id)
                              .order_by(Student.id))
    category = db.session.scalar(select(Category).where(Category.school_id == sid, Category.name == "家庭教育指导"))
    with saving():
        db.session.add(HelpRequest(school_id=sid, family_id=child.family_id, student_id=child.id,
                                   category_id=category.id, detail="孩子最近不愿意上学，想请老师帮忙了解原因。",
                                   urgency=2, contact_method="电话", contact_phone=parent.mobile or "13900000005",
                                   contact_time="工作日晚上", submitted_by_id=parent.id))
    today = date.today()
    issue_record(admin, db.session.get(Volunteer, volunteer_id), today - timedelta(days=365), today, today)


def _announcements():
    """The class teacher's announcement to her class's parents, asking them to confirm: the demo parent has opened it
    but not yet confirmed it (her family is the class's only one with a login). And the office's to every volunteer,
    not yet read."""
    from .announcements import services as announcements

    teacher, office, parent = (db.session.scalar(select(User).where(User.username == name))
                               for name in ("teacher", "coordinator", "parent"))
    meeting, _created = announcements.send(teacher, {
        "audience": f"class:{teacher.classes[0].id}", "title": "下周三下午家长会", "confirm": True,
        "body": "各位家长：\n下周三下午3:30在本班教室召开家长会，内容是期中学习情况和冬季安全。\n"
                "请至少一位家长参加；不能来的请提前告诉班主任。\n三年级2班 李老师"})
    announcements.opened(parent, meeting)
    announcements.send(office, {
        "audience": "volunteers", "title": "重阳敬老活动招募志愿者", "confirm": False,
        "body": "各位五老志愿者：\n重阳节社区敬老服务还需要4位志愿者，愿意参加的请在“活动”里报名。\n关工委办公室"})


def _demo_accounts(school, pw, volunteer_id):
    sid = school.id
    klass = db.session.scalar(select(SchoolClass).where(SchoolClass.school_id == sid, SchoolClass.grade == 3,
                                                        SchoolClass.name == "2班"))
    pupil = db.session.scalar(select(Student).where(Student.class_id == klass.id).order_by(Student.id))
    guardian = db.session.scalar(select(Guardian).where(Guardian.family_id == pupil.family_id).order_by(Guardian.id))
    volunteer_name = db.session.get(Volunteer, volunteer_id).name
    admin = User(school_id=sid, username="admin", display_name="关工委办公室", role="admin", password_hash=pw)
    db.session.add_all([
        admin,
        User(school_id=sid, username="coordinator", display_name="周老师（关工委）", role="coordinator",
             password_hash=pw, mobile="13900000002"),
        User(school_id=sid, username="teacher", display_name="李老师（三年级2班班主任）", role="teacher",
             password_hash=pw, classes=[klass]),
        User(school_id=sid, username="volunteer", display_name=volunteer_name,
             role="volunteer", password_hash=pw, volunteer_id=volunteer_id),
        User(school_id=sid, username="parent", display_name=guardian.name, role="parent", password_hash=pw,
             guardian_id=guardian.id),
    ])
    db.session.flush()
    return admin


# How often each category is needed and offered: the board should show real shortages.
NEED_WEIGHTS = {"学业辅导": 30, "心理疏导": 22, "思想引导": 6, "生活帮困": 14, "生涯规划": 4, "兴趣特长": 8,
                "法治安全": 3, "青年教师成长": 0, "家庭教育指导": 13}
OFFER_WEIGHTS = {"学业辅导": 30, "心理疏导": 4, "思想引导": 16, "生活帮困": 8, "生涯规划": 8, "兴趣特长": 18,
                 "法治安全": 8, "青年教师成长": 10, "家庭教育指导": 6}
NEED_TEXTS = {
    "学业辅导": ("数学基础薄弱，希望每周有人辅导作业", "阅读理解跟不上，需要陪读", "英语入门困难，需要口语练习"),
    "心理疏导": ("父母长期在外，情绪低落，需要有人谈心", "与同学相处困难，容易紧张", "考试焦虑，夜里睡不好"),
    "思想引导": ("缺乏学习目标，希望有长辈引导", "需要树立正确的集体观念"),
    "生活帮困": ("家庭经济困难，冬季衣物不足", "放学后无人照看，需要托管帮助"),
    "生涯规划": ("对将来没有想法，希望了解不同职业",),
    "兴趣特长": ("喜欢书法，希望有老师指导", "想学象棋，家里没有条件"),
    "法治安全": ("需要网络安全和防诈骗教育",),
    "家庭教育指导": ("家长不知如何与孩子沟通，希望得到指导", "隔代抚养，祖辈需要家庭教育建议"),
    "青年教师成长": ("新入职，班级管理经验不足", "希望有老教师听课评课"),
}
YOUNG_TEACHERS = (("陈思雨", "语文"), ("刘子航", "数学"), ("王梦琪", "英语"), ("赵一鸣", "科学"), ("孙悦", "音乐"))


def _menus(sid, rng, student_ids, tagged, vol_ids, creator_id):
    """Needs for about one student in twelve, offers from most volunteers, and needs of young teachers."""
    categories = {c.name: c.id for c in db.session.scalars(select(Category).where(Category.school_id == sid))}
    term_id = db.session.scalar(select(Term.id).where(Term.school_id == sid, Term.is_current.is_(True)))
    need_names = [n for n in NEED_WEIGHTS for _ in range(NEED_WEIGHTS[n])]
    rows = []
    now = datetime.now(UTC).replace(tzinfo=None)
    # Most students with a support tag have a need, and most of those are matched: coverage is high but not total.
    tagged = set(tagged)
    others = [s for s in student_ids if s not in tagged]
    chosen = [s for s in sorted(tagged) if rng.random() < 0.9] + rng.sample(others, k=len(student_ids) // 20)
    for student_id in chosen:
        cat = rng.choice(need_names)
        weights = (15, 75, 8, 2) if student_id in tagged else (60, 25, 10, 5)
        status = rng.choices(("open", "matched", "done", "closed"), weights=weights)[0]
        rows.append({"created_at": now - timedelta(days=rng.randint(20, 80), hours=rng.randint(0, 8)),
                     "school_id": sid, "student_id": student_id, "category_id": categories[cat], "term_id": term_id,
                     "detail": rng.choice(NEED_TEXTS[cat]), "urgency": rng.choices((1, 2, 3), weights=(60, 28, 12))[0],
                     "slots": _random_slots(rng), "modes": rng.choice((0, 1, 1, 3, 5)), "status": status,
                     "close_reason": "学生转学" if status == "closed" else "", "created_by_id": creator_id})
    teacher_ids = list(db.session.scalars(insert(YoungTeacher).returning(YoungTeacher.id, sort_by_parameter_order=True), [
        {"school_id": sid, "name": n, "name_initials": initials(n), "subject": subj, "joined_year": 2024 + i % 3}
        for i, (n, subj) in enumerate(YOUNG_TEACHERS)]))
    for teacher_id in teacher_ids[:3]:
        rows.append({"created_at": now - timedelta(days=rng.randint(20, 60)), "school_id": sid,
                     "young_teacher_id": teacher_id, "category_id": categories["青年教师成长"], "term_id": term_id,
                     "detail": rng.choice(NEED_TEXTS["青年教师成长"]), "urgency": 1,
                     "slots": _random_slots(rng), "modes": 1, "status": "open", "created_by_id": creator_id})
    db.session.execute(insert(Need), rows)
    offer_names = [n for n in OFFER_WEIGHTS for _ in range(OFFER_WEIGHTS[n])]
    db.session.execute(insert(Offer), [
        {"school_id": sid, "volunteer_id": v, "category_id": categories[rng.choice(offer_names)],
         "skills": rng.choice(("数学, 语文", "书法", "心理咨询", "讲革命故事", "象棋", "法律常识", "家庭教育")),
         "slots": _random_slots(rng), "modes": rng.choice((1, 3, 7)), "capacity": rng.choice((1, 1, 2, 2, 3)),
         "status": "active" if rng.random() < 0.9 else "paused", "entered_by_id": creator_id, "on_behalf": True}
        for v in vol_ids if rng.random() < 0.8])


def _random_slots(rng):
    return sum({slot_bit(rng.randrange(7), rng.randrange(3)) for _ in range(rng.randint(1, 4))})


VISIT_TEXTS = ("一起复习了本周的数学作业，订正错题", "聊了聊在校情况，孩子比上次开朗", "电话了解近况，提醒按时作息",
               "家访，和祖辈交流了陪伴方法", "讲了一个革命故事，布置了读书任务")


def _pairs(sid, rng, creator_id, demo_volunteer_id):
    """A pair for each need marked matched, with visits spread so some are due for follow-up."""
    today = date.today()
    offers = db.session.scalars(select(Offer).where(Offer.school_id == sid, Offer.status == "active")
                                .order_by(Offer.id)).all()
    if demo_volunteer_id and not any(o.volunteer_id == demo_volunteer_id for o in offers):
        first = offers[0]
        offers.insert(0, Offer(school_id=sid, volunteer_id=demo_volunteer_id, category_id=first.category_id,
                               skills="数学, 语文", slots=first.slots, modes=3, capacity=2, entered_by_id=creator_id,
                               on_behalf=True))
        db.session.add(offers[0])
    matched = db.session.scalars(select(Need).where(Need.school_id == sid, Need.status == "matched",
                                                    Need.student_id.is_not(None)).order_by(Need.id)).all()
    for need in matched:
        # The demo volunteer gets the first pairs, so their home page has something to show.
        fits = [o for o in offers if o.used < o.capacity and (o.category_id == need.category_id
                                                              or o.volunteer_id == demo_volunteer_id)]
        if not fits:
            need.status = "open"
            continue
        offer = fits[0] if fits[0].volunteer_id == demo_volunteer_id else rng.choice(fits)
        offer.used += 1
        # Matched one to four weeks after the need was raised.
        started = min(need.created_at.date() + timedelta(days=rng.choice((2, 5, 9, 12, 20, 28))),
                      today - timedelta(days=3))
        pair = Pair(school_id=sid, kind="one_to_one", status="active", term_id=need.term_id, started_on=started,
                    created_at=datetime.combine(started, time(2)), created_by_id=creator_id)
        db.session.add(pair)
        db.session.flush()
        db.session.add_all([PairNeed(pair_id=pair.id, need_id=need.id),
                            PairVolunteer(pair_id=pair.id, volunteer_id=offer.volunteer_id, offer_id=offer.id)])
        day = started
        while True:
            day += timedelta(days=rng.randint(5, 25))
            if day > today:
                break
            visit = Visit(school_id=sid, pair_id=pair.id, volunteer_id=offer.volunteer_id, visited_on=day,
                          mode=rng.choice(("talk", "talk", "phone", "home")), hours=Decimal(rng.choice(("1", "1.5", "2"))),
                          content=rng.choice(VISIT_TEXTS), follow_up=rng.choice(("", "下次检查错题本", "下周家访一次")),
                          recorded_by_id=creator_id)
            db.session.add(visit)
            db.session.flush()
            reviewed = (today - day).days > 10
            db.session.add(HourEntry(school_id=sid, volunteer_id=offer.volunteer_id, worked_on=day, hours=visit.hours,
                                     pair_id=pair.id, visit_id=visit.id, note=visit.content, entered_by_id=creator_id,
                                     on_behalf=True, status="approved" if reviewed else "pending",
                                     reviewed_by_id=creator_id if reviewed else None,
                                     reviewed_at=datetime.combine(day + timedelta(days=3), time(9)) if reviewed else None))
            pair.last_visit_on = day


EVENTS = (("五老进课堂：我的从教故事", "五老进课堂", "阶梯教室"), ("红色故事会", "红色故事会", "图书馆"),
          ("社区敬老服务", "社区服务", "滨湖社区"), ("参观革命纪念馆", "参观教育基地", "区革命纪念馆"),
          ("重阳节活动", "节日活动", "学校操场"), ("防溺水安全讲座", "讲座", "报告厅"),
          ("家长学校：隔代教育讲座", "讲座", "阶梯教室"), ("学雷锋志愿服务", "社区服务", "滨湖社区"))
SERVICE_NOTES = {"lecture": ("给四年级讲红色故事", "五老进课堂，讲传统美德"),
                 "event": ("协助组织活动，维持秩序", "活动讲解与带队"),
                 "home_visit": ("走访留守儿童家庭", "与班主任一起家访"), "parent_school": ("家长学校授课", "家长沙龙答疑"),
                 "safety": ("上学放学护学岗", "校园周边安全巡查"), "other": ("整理关工委档案", "图书角整理")}


def _events_and_hours(sid, rng, creator_id, vol_ids):
    """Events of the past half year (the demo teacher leads two) and a year of logged service, so totals,
    recognition levels and the review queue have something to show."""
    today = date.today()
    teacher_id = db.session.scalar(select(User.id).where(User.school_id == sid, User.role == "teacher"))
    events = []
    for i, (title, kind, place) in enumerate(EVENTS):
        day = today - timedelta(days=3 + i * 22)
        events.append(Event(school_id=sid, title=title, kind=kind, place=place, status="done",
                            participants=rng.choice((45, 60, 120, 200, 320)),
                            starts_at=datetime.combine(day, time(14)), ends_at=datetime.combine(day, time(16)),
                            created_by_id=creator_id))
    db.session.add_all(events)
    db.session.flush()
    leads = [{"event_id": e.id, "user_id": creator_id} for e in events]
    if teacher_id:
        leads += [{"event_id": e.id, "user_id": teacher_id} for e in events[:2]]
    db.session.execute(insert(event_leads), leads)
    claimed = {(v, d): h for v, d, h in db.session.execute(
        select(HourEntry.volunteer_id, HourEntry.worked_on, HourEntry.hours).where(HourEntry.school_id == sid))}
    rows = []
    for vid in vol_ids:
        if rng.random() < 0.2:
            continue
        # Some volunteers serve far more than others: the recognition list needs each level.
        # The first volunteer (the demo account in the first school) is a regular: their page shows progress.
        serves = 45 if vid == vol_ids[0] else rng.choice((5, 12, 25, 55, 120))
        for _ in range(int(serves * rng.uniform(0.8, 1.2))):
            activity = rng.choice(("lecture", "event", "event", "home_visit", "parent_school", "safety", "safety",
                                   "other"))
            event = rng.choice(events) if activity == "event" else None
            day = event.starts_at.date() if event else today - timedelta(days=rng.randint(0, 360))
            hours = Decimal(rng.choice(("1", "1.5", "2", "2", "3", "4")))
            if claimed.get((vid, day), 0) + hours > 12:
                continue
            claimed[(vid, day)] = claimed.get((vid, day), 0) + hours
            recent = (today - day).days <= 14
            status = "pending" if recent else rng.choices(("approved", "rejected"), weights=(95, 5))[0]
            rows.append({"school_id": sid, "volunteer_id": vid, "worked_on": day, "hours": hours, "activity": activity,
                         "event_id": event.id if event else None, "note": rng.choice(SERVICE_NOTES[activity]),
                         "status": status, "entered_by_id": creator_id, "on_behalf": rng.random() < 0.3,
                         "reviewed_by_id": None if recent else creator_id,
                         "reviewed_at": None if recent else datetime.combine(day + timedelta(days=4), time(10)),
                         "reason": "日期与签到表不符，请核对" if status == "rejected" else ""})
    if rows:
        db.session.execute(insert(HourEntry), rows)


PARENT_COURSES = (
    # title, kind, grades, mandatory, sessions to complete, topic, lecturer (None: a volunteer)
    ("新生家长必修：幼小衔接与习惯养成", "required", "1", True, 2,
     "起始年级学生家长全员培训：入学适应、作息与学习习惯、家校沟通。", "区家庭教育指导中心 刘敏"),
    ("如何与孩子有效沟通", "elective", "3,4", False, 1, "倾听、表扬与批评的分寸，减少亲子冲突。", None),
    ("网络安全与防沉迷", "elective", "", False, 1, "手机与游戏管理，识别网络诈骗。", "滨湖派出所 王警官"),
)
COMMENTS = ("讲得很实在，回家就试了", "希望多安排周末场次", "案例很多，受益匪浅", "时间有点紧，意犹未尽", "")


def _parent_school(sid, rng, creator_id, vol_ids):
    """Three courses: a mandatory one for first-year families with a session held and one coming (seats reserved
    per class), an elective nearly full, and one for every grade; the demo family attended a past session."""
    from .parent_school.models import Course, CourseSession, Feedback, SeatQuota
    from .registrations.models import Registration
    from .registrations.services import CODE_ALPHABET, local_now

    now = local_now().replace(minute=0, second=0, microsecond=0)
    expert = db.session.scalar(select(Volunteer.id).where(Volunteer.id.in_(vol_ids), Volunteer.kind == "老专家"))
    classes = db.session.scalars(select(SchoolClass).where(SchoolClass.school_id == sid)).all()
    by_grade = {}
    for klass in classes:
        by_grade.setdefault(klass.grade, []).append(klass)
    kids = db.session.execute(select(Student.id, Student.family_id, Student.class_id)
                              .where(Student.school_id == sid).order_by(Student.id)).all()
    grade_of = {k.id: k.grade for k in classes}
    demo_family = db.session.scalar(select(Guardian.family_id).join(User, User.guardian_id == Guardian.id)
                                    .where(User.school_id == sid, User.role == "parent"))

    def session(course, days, hour, capacity, place, title="", status="open"):
        start = (now + timedelta(days=days)).replace(hour=hour)
        s = CourseSession(school_id=sid, course=course, title=title, starts_at=start,
                          ends_at=start + timedelta(minutes=90), deadline=start - timedelta(days=1),
                          capacity=capacity, place=place, status=status)
        db.session.add(s)
        return s

    def families(grades):
        seen, out = set(), []
        for sid_, fid, cid in kids:
            if grade_of[cid] in grades and fid not in seen:
                seen.add(fid)
                out.append((sid_, fid, cid))
        return out

    def fill(s, rows, attended_share=0.0):
        for n, (student_id, fid, cid) in enumerate(rows, start=1):
            attended = rng.random() < attended_share
            reg = Registration(school_id=sid, session=s, family_id=fid, student_id=student_id, class_id=cid,
                               status="confirmed", seq=n, registered_by_id=creator_id,
                               code="".join(rng.choice(CODE_ALPHABET) for _ in range(6)),
                               attended_at=s.starts_at - timedelta(hours=8, minutes=10) if attended else None,
                               checked_in_by_id=creator_id if attended else None)
            db.session.add(reg)
            if attended and fid != demo_family and rng.random() < 0.6:
                db.session.add(Feedback(registration=reg, rating=rng.choice((5, 5, 4, 4, 3)),
                                        comment=rng.choice(COMMENTS)))
        s.taken = s.queue_no = len(rows)

    courses = []
    for title, kind, grades, mandatory, required, topic, lecturer in PARENT_COURSES:
        courses.append(Course(school_id=sid, title=title, kind=kind, target_grades=grades, mandatory=mandatory,
                              sessions_required=required, topic=topic, lecturer_name=lecturer or "",
                              lecturer_volunteer_id=None if lecturer else expert, created_by_id=creator_id))
    db.session.add_all(courses)
    first_year = families({1})
    held = session(courses[0], -20, 19, len(first_year) + 10, "学校报告厅", "第一讲：入学第一个月", status="done")
    fill(held, first_year[: int(len(first_year) * 0.85)], attended_share=0.9)
    coming = session(courses[0], 10, 19, len(first_year) + 10, "学校报告厅", "第二讲：好习惯从家庭开始")
    per_class = max(1, len(first_year) // max(1, len(by_grade.get(1, []))) - 5)
    coming.quotas = [SeatQuota(class_id=k.id, seats=per_class) for k in by_grade.get(1, [])]
    fill(coming, rng.sample(first_year, k=len(first_year) // 2))

    middle = [f for f in families({3, 4}) if f[1] != demo_family]
    past = session(courses[1], -30, 19, 40, "阶梯教室")
    demo_rows = [r for r in families({3, 4}) if r[1] == demo_family]
    fill(past, demo_rows + rng.sample(middle, k=35), attended_share=0.85)
    for reg in past.registrations:
        if reg.family_id == demo_family:
            reg.attended_at = past.starts_at - timedelta(hours=8, minutes=10)
            reg.checked_in_by_id = creator_id
    soon = session(courses[1], 5, 19, 30, "阶梯教室", "第二场：青春期前的沟通")
    fill(soon, rng.sample(middle, k=28))
    # A session about to start, so the door takes check-ins whenever the demo is seeded; a few families are in.
    start = now + timedelta(hours=1)
    tonight = CourseSession(school_id=sid, course=courses[1], title="第三场：孩子沉迷手机怎么办", starts_at=start,
                            ends_at=start + timedelta(minutes=90), deadline=start - timedelta(days=1), capacity=30,
                            place="阶梯教室", status="open")
    fill(tonight, rng.sample(middle, k=20))
    for reg in tonight.registrations[:4]:
        reg.attended_at, reg.checked_in_by_id = utcnow(), creator_id
    session(courses[2], 20, 15, 200, "学校报告厅")
    db.session.flush()


PARTNERS = (("滨湖社区居委会", "社区", "王主任"), ("区少儿图书馆", "图书馆", "刘老师"),
            ("滨湖校外辅导站", "校外辅导站", "陈站长"), ("区革命纪念馆", "教育基地", "宣教部"))
# (days from today, hour or None for month only, title, kind, place, groups, partner index, for parents,
#  seats, speakers, helpers), after the paper 行事历 of seed 000.
CALENDAR = (
    (6, 14, "讲述革命英雄故事，五老人员进课堂", "五老进课堂", "四年级各班教室", "四年级组", None, False, 0, 2, 1),
    (13, 9, "老少共读：红色经典故事会", "红色故事会", "区少儿图书馆", "语文组", 1, True, 30, 1, 3),
    (20, 14, "社区敬老服务：重阳慰问", "社区服务", "滨湖社区", "五年级组", 0, False, 0, 0, 4),
    (27, 8, "参观区革命纪念馆", "参观教育基地", "区革命纪念馆", "六年级组", 3, True, 40, 0, 2),
    (35, None, "建党百年创作诗，老少齐参与（诗配画、诵读、作品展示）", "节日活动", "", "三-六年级语文老师", None, False, 0, 0, 0),
    (35, None, "《家长必读》优秀论文评选", "评选申报", "", "学发中心", None, False, 0, 0, 0),
    (66, None, "隔代互学——关工委工作创新奖项目申报", "评选申报", "", "关工委办公室", None, False, 0, 0, 0),
)


def _calendar(sid, creator_id, vol_ids):
    """Partners, and this term's 行事历: dated events (one with family registration, some short of volunteers) and
    entries planned for a month only; the demo volunteer leads the first."""
    from .events.models import EventHelper, Partner

    partners = [Partner(school_id=sid, name=n, kind=k, contact=c) for n, k, c in PARTNERS]
    db.session.add_all(partners)
    db.session.flush()
    today = date.today()
    for days, hour, title, kind, place, groups, partner, parents, seats, speakers, helpers in CALENDAR:
        day = today + timedelta(days=days)
        starts = datetime.combine(day, time(hour)) if hour is not None else datetime(day.year, day.month, 1)
        event = Event(school_id=sid, title=title, kind=kind, place=place, lead_groups=groups, status="planned",
                      precision="time" if hour is not None else "month", starts_at=starts,
                      ends_at=starts + timedelta(hours=2) if hour is not None else None,
                      partner_id=partners[partner].id if partner is not None else None, for_parents=parents,
                      audience_grades="3,4" if parents else "", capacity=seats,
                      deadline=starts - timedelta(days=1) if seats else None, speakers_needed=speakers,
                      helpers_needed=helpers, created_by_id=creator_id)
        db.session.add(event)
        db.session.flush()
        if days == 6:
            db.session.add(EventHelper(school_id=sid, event_id=event.id, volunteer_id=vol_ids[0], role="lead",
                                       added_by_id=creator_id))
