package supportqa

// value is one possible value of a fact: the text that fills {V} in the
// fact's answer sentence, which is also the expected answer, and other
// acceptable ways to write it.
type value struct {
	text string
	any  []string
}

// fact is one entry of a store's help-center knowledge base: a passage
// whose answer sentence holds the fact's value as {V}, the values different
// stores use, and the ways customers ask about it.
type fact struct {
	key  string
	task string
	// passage holds 2 to 4 sentences; exactly one contains {V}.
	passage []string
	values  []value
	// direct questions reuse the words of the answer sentence; paraphrase
	// questions say the same with other words; colloquial ones are how
	// people type into a chat box.
	direct, paraphrase, colloquial []string
}

func v(text string, any ...string) value { return value{text: text, any: any} }

// facts returns the knowledge base the eval set is built from. It is
// written in US English, as a US help center would be.
func facts() []fact {
	return []fact{
		// shipping
		{
			key: "standard-shipping-time", task: "shipping",
			passage: []string{
				"Standard shipping takes {V} within the continental United States.",
				"Orders placed before noon Eastern time leave our warehouse the same business day.",
				"You will get a tracking number by email as soon as your order ships.",
			},
			values: []value{v("5 to 7 business days", "5-7 business days", "five to seven business days"), v("3 to 5 business days", "3-5 business days", "three to five business days"), v("4 to 6 business days", "4-6 business days", "four to six business days"), v("6 to 8 business days", "6-8 business days", "six to eight business days")},
			direct: []string{
				"How long does standard shipping take?",
				"How many business days does standard shipping take?",
			},
			paraphrase: []string{
				"How long will it take for my order to be delivered with the regular option?",
				"What is the normal delivery time for an order?",
				"If I don't pay for a faster option, when will my package arrive?",
				"How long does regular delivery usually take?",
			},
			colloquial: []string{
				"ordered yesterday with regular shipping, when's it gonna get here?",
				"how long till my stuff shows up if i pick the basic shipping",
			},
		},
		{
			key: "express-shipping-cost", task: "shipping",
			passage: []string{
				"Express shipping costs {V} per order and arrives in 1 to 2 business days.",
				"Express orders must be placed before noon to leave the same day.",
				"Express shipping is not available for oversized items such as furniture.",
			},
			values: []value{v("$14.99", "14.99"), v("$12.50", "12.50"), v("$19.95", "19.95"), v("$9.99", "9.99")},
			direct: []string{
				"How much does express shipping cost?",
				"What is the price of express shipping per order?",
			},
			paraphrase: []string{
				"What's the fee for expedited delivery?",
				"How much extra is it to get my order faster?",
				"What do you charge for rush delivery?",
			},
			colloquial: []string{
				"how much to get my order here quicker??",
				"need it asap, what does express run me",
			},
		},
		{
			key: "free-shipping-threshold", task: "shipping",
			passage: []string{
				"Orders over {V} qualify for free standard shipping.",
				"Smaller orders pay a flat shipping fee at checkout.",
				"Free shipping does not apply to express orders or to gift card purchases.",
			},
			values: []value{v("$50", "50 dollars", "fifty dollars"), v("$35", "35 dollars", "thirty-five dollars"), v("$75", "75 dollars", "seventy-five dollars"), v("$49", "49 dollars")},
			direct: []string{
				"What is the minimum order for free standard shipping?",
				"How much does an order need to be to qualify for free shipping?",
			},
			paraphrase: []string{
				"How big does my purchase have to be to avoid paying for delivery?",
				"Is there a threshold for complimentary delivery?",
				"How much do I have to spend to get free delivery?",
			},
			colloquial: []string{
				"how much do i gotta spend to get free shipping",
				"whats the magic number for free delivery",
			},
		},
		{
			key: "international-delivery-time", task: "shipping",
			passage: []string{
				"We ship to more than 40 countries.",
				"International orders usually arrive in {V}.",
				"Customs duties and import taxes are paid by the recipient on delivery.",
			},
			values: []value{v("10 to 15 business days", "10-15 business days", "ten to fifteen business days"), v("7 to 14 business days", "7-14 business days", "seven to fourteen business days"), v("2 to 3 weeks", "2-3 weeks", "two to three weeks"), v("10 to 20 business days", "10-20 business days", "ten to twenty business days")},
			direct: []string{
				"How long do international orders usually take to arrive?",
				"When do international orders arrive?",
			},
			paraphrase: []string{
				"How long will delivery take if I order from overseas?",
				"If I live abroad, when will my package come?",
			},
			colloquial: []string{
				"im not in the states, how long till my order gets here",
				"ordering from outside the country, how long does delivery take",
			},
		},
		{
			key: "tracking-update-delay", task: "shipping",
			passage: []string{
				"Every shipped order gets a tracking number by email.",
				"You can also track your package from the Orders page of your account.",
				"Tracking updates can take up to {V} to appear after the shipping label is created.",
			},
			values: []value{v("24 hours", "twenty-four hours", "one day"), v("48 hours", "forty-eight hours", "two days"), v("12 hours", "twelve hours"), v("36 hours", "thirty-six hours")},
			direct: []string{
				"How long can tracking updates take to appear?",
				"How long until tracking updates appear after the label is created?",
			},
			paraphrase: []string{
				"My tracking number shows nothing yet; how long before it updates?",
				"When will I be able to trace my parcel after you send it?",
			},
			colloquial: []string{
				"tracking says no info?? how long is that normal",
				"the tracking page is blank, when will it start working",
			},
		},
		{
			key: "standard-carrier", task: "shipping",
			passage: []string{
				"Standard orders ship with {V}, and express orders ship with a priority courier.",
				"Only business accounts can choose a different carrier.",
				"Carrier delays caused by weather are outside our control.",
			},
			values: []value{v("UPS Ground"), v("FedEx Ground"), v("USPS Priority Mail"), v("OnTrac")},
			direct: []string{
				"Which carrier do standard orders ship with?",
				"What carrier do you use to ship standard orders?",
			},
			paraphrase: []string{
				"Who delivers my package if I choose the regular option?",
				"Which company brings normal deliveries?",
				"Which courier do you use for regular orders?",
			},
			colloquial: []string{
				"which delivery company is bringing my box",
				"which carrier truck should i be looking out for",
			},
		},
		{
			key: "missing-package-report", task: "shipping",
			passage: []string{
				"If tracking shows your package as delivered but you cannot find it, contact us within {V}.",
				"We will open a claim with the carrier and send a replacement or a refund once the claim is approved.",
			},
			values: []value{v("7 days", "seven days", "one week"), v("10 days", "ten days"), v("14 days", "fourteen days", "two weeks"), v("5 days", "five days")},
			direct: []string{
				"How long do I have to contact you if tracking shows delivered but I cannot find my package?",
				"When must I contact you if my package shows as delivered but is missing?",
			},
			paraphrase: []string{
				"My parcel never showed up even though it says it was dropped off; how long can I wait before telling you?",
				"What's the deadline to report a lost delivery?",
			},
			colloquial: []string{
				"says its been delivered but nothing at my door, how long do i have to let u know",
				"pretty sure someone swiped my package from the porch, is there a time limit to tell you",
			},
		},
		{
			key: "address-change-window", task: "shipping",
			passage: []string{
				"You can change the shipping address on an order within {V} of placing it.",
				"Once an order is being packed, its address is locked.",
				"Address changes for orders that have shipped must go through the carrier.",
			},
			values: []value{v("1 hour", "one hour", "60 minutes"), v("2 hours", "two hours"), v("30 minutes", "thirty minutes", "half an hour"), v("4 hours", "four hours")},
			direct: []string{
				"How long after placing an order can I change the shipping address?",
				"Within what time can I change the shipping address on an order?",
			},
			paraphrase: []string{
				"I typed the wrong address; how long do I have to fix it?",
				"Is there a time limit to update where my purchase is going?",
				"How long do I have to update the delivery address after I order?",
			},
			colloquial: []string{
				"oops put my old address on it, can i still fix that",
				"moved last week, can u change the address on my order",
			},
		},

		// returns
		{
			key: "return-window", task: "returns",
			passage: []string{
				"You can return unused items for a full refund, and you have {V} from delivery to start a return.",
				"Items must be sent back in their original packaging.",
				"Final sale items cannot be returned.",
			},
			values: []value{v("30 days", "thirty days", "30-day"), v("60 days", "sixty days", "60-day"), v("45 days", "forty-five days", "45-day"), v("90 days", "ninety days", "90-day")},
			direct: []string{
				"How many days do I have to start a return?",
				"How long from delivery do I have to return an item?",
				"What is the return window for unused items?",
			},
			paraphrase: []string{
				"What's the deadline to send back a product I don't want?",
				"How long can I wait before asking for my money back?",
			},
			colloquial: []string{
				"bought this a while ago, am i too late to return it?",
				"how long have i got to send stuff back",
			},
		},
		{
			key: "return-shipping-fee", task: "returns",
			passage: []string{
				"Return shipping is free for exchanges.",
				"For refunds, a return shipping fee of {V} is deducted from your refund.",
				"Returns of damaged or wrong items are always free.",
			},
			values: []value{v("$6.95", "6.95"), v("$5.95", "5.95"), v("$7.50", "7.50"), v("$8.99", "8.99")},
			direct: []string{
				"How much is the return shipping fee for refunds?",
				"What return shipping fee is deducted from my refund?",
			},
			paraphrase: []string{
				"How much do you take off my money back for sending an item back?",
				"What does it cost me to mail back something I want reimbursed?",
				"What's the fee to send back an item for a refund?",
			},
			colloquial: []string{
				"do i have to pay return shipping if i want a refund",
				"how much do u keep from my refund when i return something",
			},
		},
		{
			key: "refund-processing-time", task: "returns",
			passage: []string{
				"Once your return reaches our warehouse, we inspect it within 2 business days.",
				"Approved refunds go back to your original payment method within {V}.",
				"Your bank may take longer to show the credit on your statement.",
			},
			values: []value{v("5 to 10 business days", "5-10 business days", "five to ten business days"), v("7 to 10 business days", "7-10 business days", "seven to ten business days"), v("3 to 7 business days", "3-7 business days", "three to seven business days"), v("10 business days", "ten business days")},
			direct: []string{
				"How long do approved refunds take to go back to my payment method?",
				"How long does it take to get a refund once it is approved?",
			},
			paraphrase: []string{
				"When will I get my money back after you receive my return?",
				"How soon is the reimbursement paid once my return is accepted?",
				"How long until my money back shows up once the return is approved?",
			},
			colloquial: []string{
				"sent my return last week, where's my refund",
				"how long till the refund money hits my card",
			},
		},
		{
			key: "damaged-item-report", task: "returns",
			passage: []string{
				"If an item arrives damaged, send us a photo within {V} of delivery.",
				"We will ship a replacement at no cost, and you do not need to return the damaged item.",
			},
			values: []value{v("48 hours", "forty-eight hours", "two days"), v("72 hours", "seventy-two hours", "three days"), v("7 days", "seven days", "one week"), v("5 days", "five days")},
			direct: []string{
				"How long do I have to send a photo of a damaged item?",
				"If an item arrives damaged, when should I send a photo?",
			},
			paraphrase: []string{
				"My order came broken; how soon do I need to tell you?",
				"The product was defective when it got here; what's the deadline to report it?",
				"How long do I have to report a broken item?",
			},
			colloquial: []string{
				"box was smashed and the thing inside is damaged, what now",
				"opened it today and its broken, how long do i have to send a pic",
			},
		},
		{
			key: "gift-return-refund", task: "returns",
			passage: []string{
				"Gifts can be returned without a receipt by using the order number on the packing slip.",
				"Gift returns are refunded as {V}, so the person who bought the gift is not notified.",
			},
			values: []value{v("store credit"), v("an e-gift card", "e-gift card", "egift card"), v("account credit"), v("merchandise credit")},
			direct: []string{
				"How are gift returns refunded?",
				"What are gift returns refunded as?",
			},
			paraphrase: []string{
				"Somebody bought me this as a present; if I send it back, what do I get?",
				"What happens to the money if I return something I was given?",
				"If I send back a present, how am I reimbursed?",
			},
			colloquial: []string{
				"got this as a bday gift and dont like it, what do i get if i return it",
				"my aunt got me this lol, if i return the gift will she find out",
			},
		},
		{
			key: "restocking-fee", task: "returns",
			passage: []string{
				"Opened electronics can be returned within the return window but carry a {V} restocking fee.",
				"Unopened electronics can be returned at no charge.",
				"Software and digital downloads cannot be returned once activated.",
			},
			values: []value{v("15 percent", "15%", "fifteen percent"), v("10 percent", "10%", "ten percent"), v("20 percent", "20%", "twenty percent"), v("25 percent", "25%", "twenty-five percent")},
			direct: []string{
				"What is the restocking fee for opened electronics?",
				"How much is the restocking fee on returned electronics?",
			},
			paraphrase: []string{
				"If I open a gadget and then return it, how much do you charge?",
				"Is there a penalty for sending back a device I already unboxed?",
				"Is there a fee to return an opened device?",
			},
			colloquial: []string{
				"opened the headphones but hate them, is there a fee to return them",
				"tried the speaker once, do i get a full refund if i return it",
			},
		},
		{
			key: "return-label-delivery", task: "returns",
			passage: []string{
				"Return labels are emailed within {V} after you start a return online.",
				"Drop the package at any carrier location, and keep the receipt until your refund arrives.",
			},
			values: []value{v("1 hour", "one hour"), v("2 hours", "two hours"), v("15 minutes", "fifteen minutes"), v("24 hours", "twenty-four hours", "one day")},
			direct: []string{
				"How soon are return labels emailed after I start a return?",
				"When is the return label emailed?",
			},
			paraphrase: []string{
				"I requested a return on the website; when will I get the mailing sticker?",
				"How long until I receive the label to send my item back?",
				"I started a return online; how soon will the prepaid label arrive?",
			},
			colloquial: []string{
				"still nothing in my inbox to print, how long does it take",
				"started the return thing, where's the sticker for the box",
			},
		},
		{
			key: "warranty-length", task: "returns",
			passage: []string{
				"Every product carries a {V} limited warranty against defects in materials and workmanship.",
				"The warranty does not cover accidental damage or normal wear.",
				"To make a warranty claim, email warranty@help.example.com with your order number.",
			},
			values: []value{v("1-year", "1 year", "one year", "12 months"), v("2-year", "2 year", "two year", "24 months"), v("90-day", "90 days", "ninety days"), v("6-month", "6 months", "six months")},
			direct: []string{
				"How long is the limited warranty on products?",
				"What limited warranty does every product carry?",
			},
			paraphrase: []string{
				"How long is the guarantee if the product stops working?",
				"For how long are manufacturing faults covered?",
			},
			colloquial: []string{
				"mine died after a few months, is it still under warranty",
				"it just stopped working, how long is the warranty",
			},
		},

		// billing
		{
			key: "plus-monthly-price", task: "billing",
			passage: []string{
				"The Plus plan costs {V} per month, billed monthly.",
				"You can switch to annual billing at any time from the Billing page.",
				"Taxes are added at checkout based on your billing address.",
			},
			values: []value{v("$9.99", "9.99"), v("$12.99", "12.99"), v("$7.99", "7.99"), v("$14.49", "14.49")},
			direct: []string{
				"How much does the Plus plan cost per month?",
				"What is the monthly cost of the Plus plan?",
			},
			paraphrase: []string{
				"What do I pay each month for a Plus membership?",
				"What's the monthly fee for Plus?",
				"How much is the Plus membership per month?",
			},
			colloquial: []string{
				"thinking about getting plus, whats the damage every month",
				"how much is plus a month",
			},
		},
		{
			key: "annual-billing-savings", task: "billing",
			passage: []string{
				"Annual billing saves {V} compared with paying monthly.",
				"Annual plans renew automatically on the anniversary of your purchase.",
				"We email a reminder 7 days before each annual renewal.",
			},
			values: []value{v("20 percent", "20%", "twenty percent"), v("16 percent", "16%", "sixteen percent"), v("25 percent", "25%", "twenty-five percent"), v("30 percent", "30%", "thirty percent")},
			direct: []string{
				"How much does annual billing save compared with paying monthly?",
				"What do I save with annual billing?",
			},
			paraphrase: []string{
				"Is it cheaper to pay yearly, and by how much?",
				"What discount do I get if I pay for a whole year at once?",
			},
			colloquial: []string{
				"do i save anything if i pay for the year upfront",
				"is the yearly plan worth it vs monthly",
			},
		},
		{
			key: "failed-payment-retry", task: "billing",
			passage: []string{
				"If a payment fails, we retry the card over the next {V}.",
				"Your account stays active during the retries, and you will get an email after each failed attempt.",
				"You can update your card at any time on the Billing page.",
			},
			values: []value{v("7 days", "seven days", "one week"), v("10 days", "ten days"), v("5 days", "five days"), v("14 days", "fourteen days", "two weeks")},
			direct: []string{
				"How long do you retry the card if a payment fails?",
				"If a payment fails, when do you retry the card?",
			},
			paraphrase: []string{
				"My card was declined; for how long will you keep trying to charge it?",
				"If the charge doesn't go through, how many days do you keep attempting it?",
				"If my card is declined, how long will you keep retrying the payment?",
			},
			colloquial: []string{
				"card got declined, am i gonna lose my account right away",
				"my bank blocked the payment, how long before u cut me off",
			},
		},
		{
			key: "invoice-history", task: "billing",
			passage: []string{
				"Invoices are emailed to the account owner on each billing date.",
				"You can download invoices from the last {V} on the Billing page.",
			},
			values: []value{v("24 months", "two years", "2 years"), v("12 months", "one year", "1 year"), v("36 months", "three years", "3 years"), v("18 months", "eighteen months")},
			direct: []string{
				"How far back can I download invoices?",
				"From how many months back can I download invoices?",
			},
			paraphrase: []string{
				"I need old receipts for my accountant; how many months of them can I get?",
				"How long is my billing history kept for download?",
				"How many months of old receipts can I download?",
			},
			colloquial: []string{
				"need last years invoices for taxes, can i still grab them",
				"my accountant wants every invoice from 2 years ago, is that possible",
			},
		},
		{
			key: "price-adjustment-window", task: "billing",
			passage: []string{
				"If an item you bought drops in price within {V} of purchase, we refund the difference.",
				"Price adjustments are not available for clearance items, and you must request them through support.",
			},
			values: []value{v("14 days", "fourteen days", "two weeks"), v("7 days", "seven days", "one week"), v("10 days", "ten days"), v("30 days", "thirty days")},
			direct: []string{
				"If an item drops in price after I buy it, within how long do you refund the difference?",
				"How long after purchase can an item drop in price for me to get the difference refunded?",
			},
			paraphrase: []string{
				"I bought something and now it's cheaper; how long do I have to get the difference back?",
				"Do you give money back if the cost goes down after I order, and for how long?",
				"If the price drops after I buy, how long do I have to get the difference refunded?",
			},
			colloquial: []string{
				"ugh it went on sale the day after i got it, can i get the price difference back",
				"saw it cheaper now than when i bought it last week, do i get the difference",
			},
		},
		{
			key: "student-discount", task: "billing",
			passage: []string{
				"Students get {V} off the Plus plan with a valid school email address.",
				"Student status is verified once a year.",
				"The student discount cannot be combined with other offers.",
			},
			values: []value{v("50 percent", "50%", "fifty percent", "half"), v("40 percent", "40%", "forty percent"), v("35 percent", "35%", "thirty-five percent"), v("60 percent", "60%", "sixty percent")},
			direct: []string{
				"How much off the Plus plan do students get?",
				"What is the student discount on the Plus plan?",
			},
			paraphrase: []string{
				"I'm at university; is there a reduced price for me?",
				"Do college kids pay less for a membership, and how much less?",
				"What discount do college students get on Plus?",
			},
			colloquial: []string{
				"im still in school, is there a student discount",
				"any student deals for broke undergrads lol",
			},
		},
		{
			key: "gift-card-validity", task: "billing",
			passage: []string{
				"Gift cards are valid for {V} from the date of purchase.",
				"Gift card balances cannot be exchanged for cash, except where the law requires it.",
				"You can check a gift card balance at checkout.",
			},
			values: []value{v("5 years", "five years"), v("3 years", "three years"), v("2 years", "two years"), v("4 years", "four years")},
			direct: []string{
				"How long are gift cards valid?",
				"For how long from the date of purchase is a gift card valid?",
			},
			paraphrase: []string{
				"Does a gift certificate expire?",
				"When does my gift voucher run out?",
			},
			colloquial: []string{
				"found an old gift card from my grandma in a drawer, is it still good",
				"can i still use a gift card from ages ago",
			},
		},
		{
			key: "pending-charge-clear", task: "billing",
			passage: []string{
				"A pending charge from a declined or edited order disappears within {V}.",
				"If two charges remain on your statement, call our billing team at +1 (415) 555-0142 with the last four digits of your card.",
			},
			values: []value{v("3 business days", "three business days"), v("5 business days", "five business days"), v("2 business days", "two business days"), v("4 business days", "four business days")},
			direct: []string{
				"How long does a pending charge take to disappear?",
				"When does a pending charge from an edited order disappear?",
			},
			paraphrase: []string{
				"I was billed twice for one purchase; when will the extra one go away?",
				"There's a hold on my card from an order I changed; how long will it stay?",
				"I was charged twice; when will the pending charge drop off?",
			},
			colloquial: []string{
				"you charged me twice wtf",
				"why are there 2 charges on my bank app",
			},
		},

		// account
		{
			key: "password-reset-expiry", task: "account",
			passage: []string{
				"Password reset links expire after {V}, and we send them only to the email on your account.",
				"If the link has expired, you can request a new one from the sign-in page.",
			},
			values: []value{v("1 hour", "one hour", "60 minutes"), v("24 hours", "twenty-four hours", "one day"), v("30 minutes", "thirty minutes", "half an hour"), v("2 hours", "two hours")},
			direct: []string{
				"How long is the password reset link valid before it expires?",
				"When does the password reset link expire?",
			},
			paraphrase: []string{
				"How long can I use the email you send when I forget my login credentials?",
				"The link to change my password stopped working; how long does it last?",
				"How long does the password reset email stay valid?",
			},
			colloquial: []string{
				"forgot my password and the reset link u sent is dead already??",
				"how long is the reset email good for",
			},
		},
		{
			key: "two-factor-code-validity", task: "account",
			passage: []string{
				"Two-factor authentication codes are valid for {V}.",
				"You can turn on two-factor authentication under Security settings.",
				"Each code can be used only once.",
			},
			values: []value{v("10 minutes", "ten minutes"), v("5 minutes", "five minutes"), v("15 minutes", "fifteen minutes"), v("3 minutes", "three minutes")},
			direct: []string{
				"How long are two-factor authentication codes valid?",
				"For how long is a two-factor code valid?",
			},
			paraphrase: []string{
				"How long does the security code I get by text last?",
				"When does my verification code expire?",
			},
			colloquial: []string{
				"the code u texted me already doesnt work?? how long do codes last",
				"took too long typing the code in, how much time do i get",
			},
		},
		{
			key: "account-deletion-grace", task: "account",
			passage: []string{
				"When you delete your account, your data is permanently erased after {V}.",
				"A deleted account can be restored by signing in before its data is erased.",
				"Deleting your account also cancels any active subscription.",
			},
			values: []value{v("30 days", "thirty days"), v("14 days", "fourteen days", "two weeks"), v("7 days", "seven days", "one week"), v("60 days", "sixty days")},
			direct: []string{
				"How long after I delete my account is my data permanently erased?",
				"When is my data erased after I delete my account?",
			},
			paraphrase: []string{
				"If I close my account, when is my information gone for good?",
				"How long do you keep my personal information after I remove my profile?",
				"If I remove my profile, when is my data erased for good?",
			},
			colloquial: []string{
				"if i delete my account how long till all my data is gone",
				"if i nuke my account can i change my mind later",
			},
		},
		{
			key: "lockout-duration", task: "account",
			passage: []string{
				"After five failed sign-in attempts in a row, your account is locked for {V}.",
				"Resetting your password unlocks a locked account right away.",
			},
			values: []value{v("30 minutes", "thirty minutes", "half an hour"), v("15 minutes", "fifteen minutes"), v("1 hour", "one hour", "60 minutes"), v("20 minutes", "twenty minutes")},
			direct: []string{
				"How long is my account locked after failed sign-in attempts?",
				"After failed sign-in attempts, for how long is the account locked?",
			},
			paraphrase: []string{
				"I typed the wrong password too many times; how long until I can log in again?",
				"I got shut out after several bad login tries; when can I get back in?",
				"How long am I locked out after too many wrong login attempts?",
			},
			colloquial: []string{
				"locked out after too many tries, how long do i wait",
				"it wont let me sign in after i messed up my password a bunch, help",
			},
		},
		{
			key: "email-change-confirmation", task: "account",
			passage: []string{
				"To change the email address on your account, confirm the change from both your old and new addresses within {V}.",
				"Until the change is confirmed, we keep sending messages to the old address.",
			},
			values: []value{v("48 hours", "forty-eight hours", "two days"), v("72 hours", "seventy-two hours", "three days"), v("24 hours", "twenty-four hours", "one day"), v("7 days", "seven days", "one week")},
			direct: []string{
				"How long do I have to confirm an email address change?",
				"Within what time must I confirm the change of email address on my account?",
			},
			paraphrase: []string{
				"I'm updating the email on my profile; how long is the confirmation good for?",
				"How long do the links last when I switch to a different inbox?",
				"How long do I have to confirm a new email on my profile?",
			},
			colloquial: []string{
				"moving to a new email, how long do i have to click the confirm links",
				"how long before those verify links for my new address die",
			},
		},
		{
			key: "family-plan-members", task: "account",
			passage: []string{
				"A Family plan includes up to {V}, each with their own sign-in.",
				"The plan owner can remove members at any time.",
				"Members of a Family plan share the plan's storage.",
			},
			values: []value{v("6 members", "six members", "6 people"), v("5 members", "five members", "5 people"), v("4 members", "four members", "4 people"), v("8 members", "eight members", "8 people")},
			direct: []string{
				"How many members can a Family plan include?",
				"Up to how many members does a Family plan include?",
			},
			paraphrase: []string{
				"How many people can share one family subscription?",
				"What's the most relatives I can add to a household membership?",
				"How many users can a family subscription have?",
			},
			colloquial: []string{
				"can my whole family use one plan, how many of us",
				"me, my wife and 3 kids, can we all be on one family plan",
			},
		},
		{
			key: "inactive-account-closure", task: "account",
			passage: []string{
				"Free accounts that stay inactive for {V} are closed automatically.",
				"We email you twice before closing an inactive account.",
				"Paid accounts are never closed for inactivity.",
			},
			values: []value{v("12 months", "one year", "1 year", "twelve months"), v("24 months", "two years", "2 years"), v("18 months", "eighteen months"), v("36 months", "three years", "3 years")},
			direct: []string{
				"How long can a free account stay inactive before it is closed?",
				"When are inactive free accounts closed?",
			},
			paraphrase: []string{
				"If I don't use my free profile, when do you shut it down?",
				"How long can an unused no-cost login sit before you delete it?",
			},
			colloquial: []string{
				"haven't logged in forever, is my free account gone",
				"do u guys ever close old unused accounts",
			},
		},
		{
			key: "display-name-change", task: "account",
			passage: []string{
				"You can change your display name once every {V}.",
				"Your username for signing in cannot be changed.",
			},
			values: []value{v("30 days", "thirty days"), v("90 days", "ninety days"), v("14 days", "fourteen days", "two weeks"), v("60 days", "sixty days")},
			direct: []string{
				"How often can I change my display name?",
				"Can I change my display name, and how often?",
			},
			paraphrase: []string{
				"How frequently am I allowed to update the name shown on my profile?",
				"Is there a limit on how often I can edit my public name?",
			},
			colloquial: []string{
				"want a new name on there, how often can i change it",
				"can i change my display name again already",
			},
		},

		// technical
		{
			key: "ios-requirement", task: "technical",
			passage: []string{
				"Our iPhone and iPad app requires {V} or later.",
				"The Android app requires Android 10 or later.",
				"You can also use the web app in any current browser.",
			},
			values: []value{v("iOS 16"), v("iOS 15"), v("iOS 17"), v("iOS 14")},
			direct: []string{
				"Which iOS version does the iPhone app require?",
				"What version of iOS is required for the app?",
			},
			paraphrase: []string{
				"Will the app run on my older iPhone, and what software does it need?",
				"What's the minimum Apple system version for the mobile app?",
				"What's the oldest iOS version the iPhone app supports?",
			},
			colloquial: []string{
				"app wont install on my iphone, what ios do i need",
				"is my old ipad too old for the app",
			},
		},
		{
			key: "attachment-size-limit", task: "technical",
			passage: []string{
				"Attachments can be up to {V} each.",
				"Larger files can be shared as a link instead.",
				"Supported attachment types include PDF, JPG, PNG and DOCX.",
			},
			values: []value{v("25 MB", "25 megabytes"), v("10 MB", "10 megabytes"), v("50 MB", "50 megabytes"), v("20 MB", "20 megabytes")},
			direct: []string{
				"What is the maximum size of attachments?",
				"How big can attachments be?",
			},
			paraphrase: []string{
				"How large can a file be when I upload it?",
				"What's the biggest document I can add to a message?",
				"What's the maximum file size I can attach?",
			},
			colloquial: []string{
				"my video wont attach, is it too big?",
				"whats the limit on how big a file can be",
			},
		},
		{
			key: "free-plan-storage", task: "technical",
			passage: []string{
				"The Free plan includes {V} of storage, and the Plus plan includes 100 GB.",
				"When you run out of storage, you can still view files but cannot upload new ones.",
			},
			values: []value{v("5 GB", "5 gigabytes"), v("2 GB", "2 gigabytes"), v("15 GB", "15 gigabytes"), v("10 GB", "10 gigabytes")},
			direct: []string{
				"How much storage does the Free plan include?",
				"What storage is included in the Free plan?",
			},
			paraphrase: []string{
				"How much space do I get without paying?",
				"What's the storage limit on a no-cost account?",
				"How much space comes with the Free plan?",
			},
			colloquial: []string{
				"running out of room on the free plan, how much do i get",
				"how many gigs of storage do i get for free",
			},
		},
		{
			key: "offline-sync-delay", task: "technical",
			passage: []string{
				"Changes you make offline sync automatically within {V} of reconnecting.",
				"If a change conflicts with an edit made on another device, both versions are kept.",
			},
			values: []value{v("5 minutes", "five minutes"), v("2 minutes", "two minutes"), v("1 minute", "one minute"), v("10 minutes", "ten minutes")},
			direct: []string{
				"How long after reconnecting do offline changes sync?",
				"When do changes made offline sync?",
			},
			paraphrase: []string{
				"I edited things without internet; when will they show up on my other devices?",
				"How soon are edits from airplane mode uploaded once I'm back online?",
				"When do changes I make with no internet get synced?",
			},
			colloquial: []string{
				"made changes on the plane, when will they sync to my laptop",
				"worked on stuff with no wifi, when does it sync",
			},
		},
		{
			key: "live-chat-hours", task: "technical",
			passage: []string{
				"Live chat is open from {V} Eastern time on weekdays.",
				"Email support replies within one business day.",
				"Outside live chat hours, the help center answers most questions.",
			},
			values: []value{v("8 am to 8 pm", "8am to 8pm", "8 am-8 pm"), v("9 am to 6 pm", "9am to 6pm", "9 am-6 pm"), v("7 am to 10 pm", "7am to 10pm", "7 am-10 pm"), v("9 am to 9 pm", "9am to 9pm", "9 am-9 pm")},
			direct: []string{
				"What hours is live chat open?",
				"When is live chat open on weekdays?",
			},
			paraphrase: []string{
				"When can I talk to an agent in real time?",
				"What time does customer service open?",
			},
			colloquial: []string{
				"is live chat open right now",
				"when can i chat with a real person",
			},
		},
		{
			key: "data-export-time", task: "technical",
			passage: []string{
				"You can export all of your data as a ZIP file from Settings.",
				"Exports are usually ready within {V}, and we email you a download link.",
				"Download links stay active for 7 days.",
			},
			values: []value{v("1 hour", "one hour", "60 minutes"), v("24 hours", "twenty-four hours", "one day"), v("2 hours", "two hours"), v("6 hours", "six hours")},
			direct: []string{
				"How long until a data export is usually ready?",
				"When are exports ready?",
			},
			paraphrase: []string{
				"I asked for a copy of my information; when will it be ready?",
				"How long does it take to get an archive of everything in my account?",
				"How long until a copy of my data is ready to download?",
			},
			colloquial: []string{
				"requested my data export a while ago, how long does it usually take",
				"asked for a zip of all my data, how long",
			},
		},
		{
			key: "api-rate-limit", task: "technical",
			passage: []string{
				"The public API allows {V} per minute for each API key.",
				"Requests over the limit receive HTTP status 429.",
				"Business accounts can ask support for a higher limit.",
			},
			values: []value{v("60 requests", "sixty requests"), v("120 requests", "one hundred twenty requests"), v("100 requests", "one hundred requests"), v("300 requests", "three hundred requests")},
			direct: []string{
				"How many requests per minute does the public API allow?",
				"What does the API allow per minute for each key?",
			},
			paraphrase: []string{
				"How many calls can I make to your developer interface each minute?",
				"What's the throttle on the developer endpoints?",
			},
			colloquial: []string{
				"getting 429s from the api, whats the rate limit",
				"my script keeps getting blocked, how many requests can i make",
			},
		},
		{
			key: "session-timeout", task: "technical",
			passage: []string{
				"For security, web sessions sign you out after {V} of inactivity.",
				"Choosing Keep me signed in extends the session on trusted devices.",
			},
			values: []value{v("30 minutes", "thirty minutes", "half an hour"), v("15 minutes", "fifteen minutes"), v("2 hours", "two hours"), v("1 hour", "one hour", "60 minutes")},
			direct: []string{
				"How long before an inactive web session signs me out?",
				"After how much inactivity do web sessions sign you out?",
			},
			paraphrase: []string{
				"Why do I keep getting logged out when I step away from my computer?",
				"How long can I be idle before I have to log in again?",
				"How long can I stay idle before the website signs me out?",
			},
			colloquial: []string{
				"keeps signing me out of the site, so annoying",
				"went for coffee and had to sign back in, why",
			},
		},
	}
}
