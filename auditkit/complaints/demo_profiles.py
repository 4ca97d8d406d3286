"""What the two demo organisations' complaints look like: phrase banks in their languages (Chinese for the
telecom, Persian for the insurer), channels, categories, products and seasons. Data for auditkit.complaints.demo
(the register's arrivals) and demo_complaint (each complaint's story)."""

from __future__ import annotations

from dataclasses import dataclass, field

TELECOM_ZH = {
    "surnames": "王:wang|李:li|张:zhang|刘:liu|陈:chen|杨:yang|黄:huang|赵:zhao|吴:wu|周:zhou|徐:xu|孙:sun|"
                "马:ma|朱:zhu|胡:hu|郭:guo|何:he|高:gao|林:lin|罗:luo|郑:zheng|梁:liang|谢:xie|宋:song",
    "given": "伟:wei|芳:fang|娜:na|秀英:xiuying|敏:min|静:jing|丽:li|强:qiang|磊:lei|军:jun|洋:yang|勇:yong|"
             "艳:yan|杰:jie|娟:juan|涛:tao|明:ming|超:chao|秀兰:xiulan|霞:xia|平:ping|刚:gang|晨:chen|"
             "浩然:haoran|子涵:zihan|欣怡:xinyi|宇轩:yuxuan|梓萱:zixuan|一诺:yinuo|建国:jianguo|文博:wenbo",
    "cities": "北京市朝阳区:100|上海市浦东新区:200|广州市天河区:510|深圳市南山区:518|杭州市西湖区:310|"
              "成都市武侯区:610|南京市鼓楼区:210|武汉市洪山区:430|西安市雁塔区:710|天津市河西区:300",
    "streets": "人民路|中山路|解放路|建设路|长江路|和平路|新华路|文化路|青年路|学府路",
    "firms": "恒信|华达|远航|鼎盛|新源|瑞丰|启明",
    "firm_kinds": "贸易有限公司|科技有限公司|餐饮管理有限公司|物流有限公司",
    "openings": "我是贵公司的老用户，使用{product}已经{y}年了。|我{m}个月前办理了{product}。|"
                "我家里用的是你们的{product}。|本人是{product}用户，号码已实名登记。|"
                "我在营业厅办理了{product}。|我通过网上营业厅订购了{product}。|"
                "proxy:我代家里老人反映{product}的问题。|最近在使用{product}的过程中遇到了问题。",
    "billing-error": "本月账单中多扣了{amount}元，我从未订购过相关的增值业务。|"
                     "mobile:套餐外流量费用异常，账单显示超出{amount}元，但我的使用习惯并没有变化。|"
                     "同一笔月租费被重复扣了两次。|资费调整后月租比原来多了{amount}元，事先没有人告知我。|"
                     "roaming:出国期间已经买了漫游流量包，回国后却又收到{amount}元的流量费。",
    "billing-refund": "我申请的{amount}元退款至今没有到账。|上次网络故障时承诺的话费补偿一直没有兑现。",
    "billing": "账单明细看不懂，很多收费项目没有任何说明。",
    "product-fault": "phone:合约手机买了不到一个月就频繁死机、自动重启。|"
                     "router:你们提供的光猫经常掉线，重启后也只能维持几个小时。|"
                     "router:新换的路由器信号覆盖很差，隔一堵墙就连不上。|tv:IPTV 电视经常卡顿，画面出现马赛克。",
    "product-availability": "broadband:家里的宽带最近一周几乎每天晚上都断网。|"
                            "mobile:小区里手机信号很差，在室内经常打不通电话。|"
                            "broadband:宽带实际网速远低于签约速率，晚上高峰期尤其明显。|"
                            "mobile:5G 信号时有时无，通话经常中断。|broadband:预约的宽带安装一再推迟，已经等了{n}天。|"
                            "fixed:家里的固定电话没有拨号音已经{n}天了。",
    "product": "订购的业务与宣传的内容不符。",
    "service-attitude": "营业厅工作人员态度冷淡，对我的问题敷衍了事。|客服人员在电话里很不耐烦，我还没说完就挂断了。",
    "service-delay": "我已经打了{n}次客服热线，每次都说会回电，但一直没有人联系我。|"
                     "报修工单提交{n}天了，仍然显示“处理中”。",
    "information": "套餐资费调整前没有收到任何通知。|官网和营业厅对同一个套餐的说明不一致。",
    "contract": "合约到期后被自动续约，事先没有征得我的同意。|"
                "我要求销户，却被告知要支付高额违约金，办理时没有人提过这一条款。|销售人员承诺的优惠在合同里根本没有写。",
    "privacy": "最近频繁收到推销短信和骚扰电话，怀疑我的个人信息被泄露。|"
               "我的号码在未经同意的情况下被开通了第三方付费服务。",
    "safety": "router:路由器的电源适配器发热冒烟，差点引起火灾。|phone:合约手机充电时严重发烫，后盖已经鼓起。",
    "other": "营业厅的排队叫号系统经常出故障。",
    "details": "这已经严重影响了我的工作和生活。|家里老人孩子都要用网，非常不方便。|"
               "我已经打过客服电话，但问题至今没有解决。|我去营业厅反映过一次，工作人员让我回家等消息。|"
               "我每个月都按时缴费，却得不到应有的服务。|我需要在家办公，断网给我造成了直接损失。|"
               "这种情况已经持续了{n}天。|问题反复出现，我对贵公司的处理方式很失望。",
    "asks": "请尽快核实并给我一个明确的答复。|希望贵公司认真对待，及时处理。|请给出合理的解释。|"
            "如果得不到解决，我将向有关部门投诉。|请安排技术人员上门检查。|希望尽快恢复正常使用。",
    "remedies": "billing:退还多收的费用|billing:减免本月月租|billing information:恢复原来的套餐资费|"
                "product-fault safety:更换新的设备|product-availability:尽快修复网络故障|"
                "product-availability:赔偿断网期间的损失|service:尽快安排专人处理|"
                "contract:取消违约金并为我办理销户|contract:按销售时的承诺兑现优惠|书面道歉并说明原因|"
                "查明原因并避免再次发生",
    "upheld": "billing:已退还多收费用{amount}元，并减免下月月租。|"
              "product-fault safety:已为客户更换新设备，并将保修期延长六个月。|"
              "product-availability:已派技术人员修复线路故障，并补偿{n}天月租。|"
              "contract:已免除违约金并办理销户手续。|已向客户致歉，并对相关人员进行了培训。",
    "partly_upheld": "billing:退还部分费用{amount}元，其余费用经核实属正常计费。|"
                     "product-availability:为客户免费提速一个月，线路改造需等待排期。|"
                     "contract:同意提前解约，违约金减半收取。|已书面说明原因，并承诺改进相关流程。",
    "not_upheld": "billing:经核实计费准确无误，已向客户逐项解释账单。|"
                  "product-fault:经检测设备无质量问题，已提供使用指导。|"
                  "contract information:合同条款在签约时已明确告知，维持原处理意见。|"
                  "经调查未发现违规情况，已向客户详细说明。",
    "causes": "billing:计费系统配置错误|product-availability:基站设备故障|product-availability:光缆线路老化|"
              "contract information:营业员未按规定告知|product-fault safety:批次设备质量问题|"
              "service:工单流转超时|privacy billing:合作方违规开通业务|客户对资费说明有误解",
    "notes": "billing privacy:调取了通话记录和计费详单。|product-availability:联系网络维护部门做了线路测试。|"
             "contract information service:核查了营业厅的办理录音和签约材料。|与客户电话沟通，了解了详细情况。|"
             "product-fault safety product-availability:安排工程师上门检测。",
    "escalations": "客户不接受处理结果，要求上级复核。|客户对补偿金额有异议。",
    "escalated_to": "客户服务部经理|投诉管理委员会",
    "reopen": "同样的问题再次出现。|客户反映承诺的补偿没有到账。",
    "withdraw": "客户来电表示问题已自行解决，撤回投诉。|客户表示不再追究。",
    "reject": "反映的内容属于业务咨询而非投诉，已转相关部门答复。|"
              "该号码不属于本公司用户，已告知客户向所属运营商反映。",
    "praise": "处理很及时，谢谢！|客服很耐心，问题解决了。|满意，希望以后少出问题。",
    "critique": "处理时间太长了。|结果不理想，沟通也不够。|要反复打电话催才有人管。",
    "providers": "电信用户申诉受理中心=facilitative|消费者协会=facilitative|仲裁委员会=determinative",
    "immediate": "已通知客户立即停止使用该设备并断开电源。|已临时为客户开通备用线路。",
    "nothing": "贵公司的服务",
}
INSURANCE_FA = {
    "surnames": "محمدی:mohammadi|حسینی:hosseini|احمدی:ahmadi|رضایی:rezaei|کریمی:karimi|موسوی:mousavi|جعفری:jafari|"
                "صادقی:sadeghi|رحیمی:rahimi|کاظمی:kazemi|هاشمی:hashemi|نوری:nouri|طاهری:taheri|قاسمی:ghasemi|"
                "مرادی:moradi|اکبری:akbari|زارعی:zarei|عباسی:abbasi|یوسفی:yousefi|شریفی:sharifi|نجفی:najafi|"
                "فراهانی:farahani|تهرانی:tehrani|شیرازی:shirazi|اصفهانی:esfahani|کرمانی:kermani",
    "given": "علی:ali|محمد:mohammad|حسین:hossein|رضا:reza|مهدی:mahdi|امیر:amir|حمید:hamid|سعید:saeed|آرش:arash|"
             "کامران:kamran|بهزاد:behzad|داریوش:dariush|مجید:majid|نیما:nima|سارا:sara|مریم:maryam|فاطمه:fatemeh|"
             "زهرا:zahra|نرگس:narges|نیلوفر:niloufar|مینا:mina|الهام:elham|پریسا:parisa|شیما:shima|لیلا:leila|"
             "مهسا:mahsa|یاسمن:yasaman|فرزانه:farzaneh|سمیرا:samira|آزاده:azadeh",
    "cities": "تهران:1|اصفهان:8|شیراز:7|مشهد:9|تبریز:5|کرج:3|رشت:4|اهواز:6|کرمان:7|یزد:8",
    "streets": "ولیعصر|آزادی|انقلاب|شریعتی|فردوسی|حافظ|سعدی|بهار|نیایش|امام خمینی",
    "alleys": "لاله|نسترن|یاس|گلستان|مهر|نارون|اقاقیا|ارغوان",
    "firms": "پارس|آریا|نوین|سپهر|البرز|کیان|مهرگان", "firm_kinds": "تجارت|صنعت|گستر|پویا|سازه",
    "openings": "اینجانب دارندهٔ {product} شرکت شما هستم.|حدود {m} ماه پیش {product} را از نمایندگی شما خریدم.|"
                "{y} سال است که {product} خود را نزد شرکت شما تمدید می~کنم.|"
                "بنده {product} را از طریق سایت شما خریده~ام.|"
                "proxy:از طرف پدرم که بیمه~گذار {product} شماست این شکایت را ثبت می~کنم.|"
                "در خصوص {product} خود مطلبی را به اطلاع می~رسانم.|با سلام و احترام، بیمه~گذار {product} شما هستم.",
    "product-fault": "car home:پروندهٔ خسارت من پس از بازدید کارشناس، بدون توضیح کافی رد شد.|"
                     "car:مبلغ پرداختی بابت خسارت بسیار کمتر از برآورد تعمیرگاه بود.|"
                     "car:کارشناس ارزیاب خسارت را ناقص برآورد کرد و برخی قطعات آسیب~دیده را در نظر نگرفت.|"
                     "health:بیمارستان هزینهٔ جراحی را کامل از من گرفت و شما فقط بخش کوچکی از آن را پرداختید.|"
                     "travel:هزینهٔ درمانی که در سفر پرداخت کردم با وجود ارائهٔ فاکتورها جبران نشد.|"
                     "life:مبلغ بازخرید بیمه~نامه بسیار کمتر از عددی است که در جدول پیش~بینی آمده بود.",
    "product": "پوشش~هایی که هنگام فروش وعده داده شده بود در عمل اجرا نمی~شود.",
    "product-availability": "health:در شهر ما هیچ مرکز درمانی طرف قرارداد با شما وجود ندارد.|"
                            "سامانهٔ اینترنتی ثبت خسارت چند روز است از دسترس خارج است.",
    "service-delay": "بیش از {n} روز از تشکیل پروندهٔ خسارت می~گذرد و هنوز هیچ مبلغی پرداخت نشده است.|"
                     "مدارک را کامل تحویل داده~ام اما هر بار مدرک تازه~ای از من خواسته می~شود.|"
                     "car:بازدید کارشناس از خودرو چند بار به تعویق افتاد.|"
                     "health:درخواست بازپرداخت هزینه~های درمان من {n} روز است بی~پاسخ مانده است.",
    "service-attitude": "کارمند شعبه با لحنی نامناسب با من برخورد کرد.|"
                        "نمایندهٔ فروش به تماس~ها و پیام~های من پاسخ نمی~دهد.",
    "billing-error": "حق بیمهٔ تمدید امسال بدون هیچ توضیحی {amount} هزار تومان افزایش یافته است.|"
                     "life health:قسط این ماه دو بار از حساب من کسر شده است.",
    "billing-refund": "پس از فسخ بیمه~نامه، حق بیمهٔ برگشتی هنوز به حساب من واریز نشده است.",
    "billing": "در صورت~حساب اقساط مبالغی آمده که برای من روشن نیست.",
    "information": "شرایط و استثنائات بیمه~نامه هنگام خرید برای من توضیح داده نشد.|"
                   "پاسخ~های کارکنان مرکز تماس با هم تناقض دارد.",
    "contract": "شرکت به استناد بندی از قرارداد که هنگام خرید به من گفته نشده بود از پرداخت خسارت خودداری می~کند.|"
                "بیمه~نامهٔ من بدون اطلاع قبلی فسخ شده است.|"
                "car:تخفیف عدم خسارت سال~های گذشته در بیمه~نامهٔ جدید اعمال نشده است.",
    "privacy": "health:اطلاعات پروندهٔ پزشکی من بدون اجازه در اختیار شخص دیگری قرار گرفته است.|"
               "پس از خرید بیمه~نامه مدام پیامک~های تبلیغاتی از شرکت~های دیگر دریافت می~کنم.",
    "safety": "car:تعمیرگاهی که شما معرفی کردید ترمز خودرو را ناقص تعمیر کرده و رانندگی با آن خطرناک است.",
    "other": "سامانهٔ نوبت~دهی شعبه مرتب از کار می~افتد.",
    "details": "این موضوع برای من هزینه و گرفتاری زیادی ایجاد کرده است.|"
               "چندین بار با مرکز تماس گرفتم اما نتیجه~ای نگرفتم.|ناچار شدم هزینه~ها را خودم بپردازم.|"
               "این وضعیت حدود {n} روز است که ادامه دارد.|از شرکتی با سابقهٔ شما انتظار بیشتری داشتم.|"
               "دو بار هم حضوری به شعبه مراجعه کردم.|هر بار که تماس می~گیرم می~گویند پرونده در دست بررسی است.",
    "asks": "لطفاً هر چه سریع~تر رسیدگی کنید و نتیجه را به من اطلاع دهید.|"
            "خواهشمندم موضوع را پیگیری کرده و پاسخ کتبی ارسال فرمایید.|"
            "در غیر این صورت ناچارم از طریق مراجع قانونی پیگیری کنم.|لطفاً دلیل این تصمیم را روشن توضیح دهید.|"
            "امیدوارم این مشکل هر چه زودتر برطرف شود.",
    "remedies": "billing:بازگرداندن مبلغ اضافه~ای که دریافت شده است|billing:اصلاح حق بیمه و بازپرداخت مابه~التفاوت|"
                "product:پرداخت کامل خسارت|product-fault:بازبینی پرونده توسط کارشناس دیگری|"
                "service:تسریع در پرداخت خسارت|service:پاسخ مکتوب و مشخص|contract:اعمال تخفیف عدم خسارت|"
                "contract:لغو فسخ و اعادهٔ بیمه~نامه|توضیح روشن و عذرخواهی کتبی|رسیدگی فوری به موضوع",
    "upheld": "product service:خسارت به طور کامل به مبلغ {amount} هزار تومان پرداخت شد.|"
              "contract:تخفیف عدم خسارت اعمال و مابه~التفاوت به حساب بیمه~گذار واریز شد.|"
              "billing:حق بیمهٔ اضافه برگشت داده شد و از بیمه~گذار عذرخواهی شد.|"
              "product-fault:پرونده با ارزیاب دوم بازبینی و مبلغ خسارت اصلاح شد.|"
              "از بیمه~گذار عذرخواهی شد و به کارکنان مربوط تذکر داده شد.",
    "partly_upheld": "product service:آن بخش از خسارت که تحت پوشش بیمه~نامه است پرداخت شد.|"
                     "billing:افزایش حق بیمه بازبینی و بخشی از آن برگشت داده شد.|"
                     "توضیحات لازم کتباً ارائه شد و روند کار اصلاح خواهد شد.",
    "not_upheld": "product contract:طبق شرایط عمومی بیمه~نامه این مورد از تعهدات شرکت خارج است "
                  "و دلایل آن کتباً اعلام شد.|"
                  "billing:حق بیمه مطابق تعرفهٔ مصوب محاسبه شده است.|"
                  "product-fault:مدارک ارائه~شده برای اثبات خسارت کافی نبود.|"
                  "بررسی~ها تخلفی را نشان نداد و نتیجه به بیمه~گذار توضیح داده شد.",
    "causes": "service:تأخیر در ارجاع پرونده به کارشناس|contract information:آموزش ناکافی نمایندهٔ فروش|"
              "billing:خطای سامانهٔ صدور|contract product:ابهام در متن شرایط بیمه~نامه|"
              "product-fault service:کمبود کارشناس ارزیاب در استان|نقص در کنترل مدارک|billing:خطای محاسبه در واحد مالی",
    "notes": "product service:پروندهٔ خسارت و گزارش کارشناس بازبینی شد.|"
             "contract information:با نمایندهٔ فروش تماس گرفته و توضیحات او ثبت شد.|"
             "billing:سوابق پرداخت در واحد مالی بررسی شد.|مدارک تکمیلی از بیمه~گذار دریافت شد.|"
             "با بیمه~گذار تلفنی صحبت و جزئیات موضوع ثبت شد.",
    "escalations": "بیمه~گذار نتیجه را نپذیرفت و خواستار بررسی در سطح مدیریت شد.|"
                   "بیمه~گذار به مبلغ خسارت پرداخت~شده اعتراض دارد.",
    "escalated_to": "مدیر امور مشتریان|کمیتهٔ رسیدگی به شکایات",
    "reopen": "بیمه~گذار اعلام کرد مبلغ تعهدشده هنوز واریز نشده است.|بیمه~گذار مدارک تازه~ای ارائه کرد.",
    "withdraw": "بیمه~گذار تماس گرفت و گفت موضوع حل شده است.|بیمه~گذار از پیگیری شکایت منصرف شد.",
    "reject": "موضوع مربوط به شرکت بیمهٔ دیگری است و بیمه~گذار به آن شرکت راهنمایی شد.|"
              "درخواست، استعلام نرخ بیمه بود نه شکایت، و به واحد فروش ارجاع شد.",
    "praise": "از پیگیری شما سپاسگزارم.|برخورد کارشناس بسیار محترمانه بود.|مشکلم به خوبی حل شد.",
    "critique": "رسیدگی خیلی طول کشید.|پاسخ قانع~کننده نبود.|کسی مرا در جریان کار نمی~گذاشت.",
    "providers": "بیمهٔ مرکزی، ادارهٔ رسیدگی به شکایات=advisory|شورای حل اختلاف=determinative",
    "immediate": "خودرو برای بررسی ایمنی به تعمیرگاه مجاز دیگری ارجاع شد.|مبلغی به صورت علی~الحساب پرداخت شد.",
    "nothing": "خدمات شما",
}


@dataclass(frozen=True)
class Profile:
    """What a demo organisation's complaints look like."""

    language: str
    country: str
    customers: int
    channels: str  # channel=weight|...
    categories: str  # category code=weight|...
    products: str  # kinds:name=weight|...
    price_changes: tuple[tuple[int, int], ...]  # (month, day) every year: complaints surge for five weeks
    quiet: tuple[tuple[int, int, int], ...]  # (month, day, days) of public holidays: fewer complaints
    texts: dict[str, str] = field(repr=False)


TELECOM = Profile(
    language="zh_Hans", country="中国", customers=1_200_000,
    channels="phone=36|web_form=20|in_person=14|social_media=10|api=9|email=8|letter=3",
    categories="billing-error=20|product-availability=20|service-delay=11|contract=11|product-fault=9|"
               "service-attitude=6|information=6|billing-refund=5|privacy=5|other=2.5|billing=2|product=2|safety=.5",
    products="mobile:5G畅享套餐（129元/月）=18|mobile:5G畅享套餐（199元/月）=9|mobile:4G经济套餐（39元/月）=9|"
             "broadband:家庭宽带 300M=14|broadband:千兆家庭宽带=9|mobile broadband:融合套餐（手机+宽带）=12|"
             "roaming:国际漫游流量包=4|phone:合约智能手机=8|router:光猫及无线路由器=6|tv:IPTV 电视=4|fixed:固定电话=3",
    price_changes=((1, 1), (7, 1)), quiet=((10, 1, 7),), texts=TELECOM_ZH)
INSURANCE = Profile(
    language="fa", country="ایران", customers=350_000,
    channels="phone=30|in_person=22|web_form=18|email=14|letter=8|social_media=4|api=4",
    categories="product-fault=24|service-delay=22|contract=14|billing-error=9|information=8|service-attitude=6|"
               "billing-refund=4|product-availability=4|product=3|privacy=2|other=2.5|billing=1|safety=.5",
    products="car:بیمهٔ شخص ثالث خودرو=24|car:بیمهٔ بدنهٔ خودرو=20|health:بیمهٔ درمان تکمیلی=24|"
             "home:بیمهٔ آتش~سوزی و زلزلهٔ منزل=10|life:بیمهٔ عمر و سرمایه~گذاری=12|travel:بیمهٔ مسافرتی=5|"
             "liability:بیمهٔ مسئولیت مدنی=3",
    price_changes=((3, 21),), quiet=((3, 20, 14),), texts=INSURANCE_FA)
PROFILES = {"demo-telecom": TELECOM, "demo-insurance": INSURANCE}
