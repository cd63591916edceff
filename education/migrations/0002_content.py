# ruff: noqa: E501
"""Patient-education content: sources, the general dermal-fillers page and the Belotero page.

Every medical statement comes from the research notes (shared/content/belotero-facts.md) and cites
its sources by key (the facts file's key in lowercase). Section bodies are Markdown
written for a reading grade of 8 or lower. Edit the data below; the loop at the end
inserts it.
"""

import datetime
import textwrap

from django.db import migrations

REVIEW = {
    "published": True,
    "reviewed_on": datetime.date(2026, 11, 25),
    "reviewer_name": "Clinic medical director",
    "reviewer_credentials": "MD",
}

# One row per source cited below, copied from the facts file's Sources table.
# fmt: off
SOURCES = [
    {"key": "fda-p090016", "title": "Belotero Balance – P090016 (approval summary)", "publisher": "US FDA", "url": "http://www.fda.gov/MedicalDevices/ProductsandMedicalProcedures/DeviceApprovalsandClearances/Recently-ApprovedDevices/ucm280839.htm", "date": "approved 2011-11-14"},
    {"key": "fda-s050", "title": "Belotero Balance (+) – P090016/S050", "publisher": "US FDA", "url": "https://www.fda.gov/medical-devices/recently-approved-devices/belotero-balancer-p090016s050", "date": "2023-09-27"},
    {"key": "openfda-p090016", "title": "openFDA PMA records P090016", "publisher": "US FDA (openFDA; unvalidated data)", "url": "https://api.fda.gov/device/pma.json?search=pma_number%3AP090016", "date": "data 2026"},
    {"key": "openfda-p250016", "title": "openFDA PMA P250016, Belotero Intense (+) Lidocaine", "publisher": "US FDA (openFDA)", "url": "https://api.fda.gov/device/pma.json?search=pma_number%3A%22P250016%22", "date": "decision 2026-07-09"},
    {"key": "isi-bal", "title": "Belotero Balance Important Safety Information (copy of Merz text)", "publisher": "Amoderm clinic site", "url": "https://amoderm.com/cosmedical-services/belotero/belotero-balance-dermal-filler-important-safety-information", "date": "n.d."},
    {"key": "isi-pt", "title": "Belotero patient safety information (copy)", "publisher": "Aesthetica clinic site", "url": "https://www.aesthetica.com/belotero/", "date": "n.d."},
    {"key": "pi-bal", "title": "Belotero Balance Patient Information Sheet (copy)", "publisher": "Clear Aesthetics clinic site", "url": "https://clearaestheticsfl.com/boletero", "date": "n.d."},
    {"key": "merz-ioh-2023", "title": "Topline pivotal IOH results for Belotero Balance (+)", "publisher": "Merz Aesthetics", "url": "https://merzaesthetics.com/?p=3554", "date": "2023 (June)"},
    {"key": "biesman-2024", "title": "Belotero Balance (+) for infraorbital hollowing, RCT", "publisher": "Aesthetic Surgery Journal 44(9):976–986", "url": "https://www.pubmed.gov/38377391/", "date": "2024"},
    {"key": "prasetyo-2016", "title": "HA fillers with CPM: a literature review", "publisher": "Clin Cosmet Investig Dermatol 9:257–280", "url": "https://pmc.ncbi.nlm.nih.gov/articles/PMC5021061", "date": "2016-09-08"},
    {"key": "belotero-ca", "title": "Belotero FAQ", "publisher": "Merz (belotero.ca)", "url": "https://www.belotero.ca/en/home/services/faq/index.html", "date": "n.d."},
    {"key": "am-lips", "title": "Turn down the volume (Lips Shape/Contour in UK practice)", "publisher": "Aesthetic Medicine (UK)", "url": "https://mag.aestheticmed.co.uk/articles/216651?article=56-1", "date": "n.d."},
    {"key": "am-revive", "title": "Refresh and revive (Belotero Revive)", "publisher": "Aesthetic Medicine (UK)", "url": "https://mag.aestheticmed.co.uk/articles/218725?article=6-1", "date": "n.d."},
    {"key": "fda-fillers", "title": "Dermal Fillers (Soft Tissue Fillers)", "publisher": "US FDA", "url": "https://www.fda.gov/medical-devices/cosmetic-devices/dermal-fillers-soft-tissue-fillers", "date": "current page"},
    {"key": "fda-dos", "title": "Dermal Filler Do's and Don'ts for Wrinkles, Lips and More", "publisher": "US FDA", "url": "https://www.fda.gov/consumers/consumer-updates/dermal-filler-dos-and-donts-wrinkles-lips-and-more", "date": "n.d. (risk list read via reproduction)"},
    {"key": "fda-delayed", "title": "FDA reports risk of delayed onset inflammation near filler sites", "publisher": "US FDA (GovDelivery)", "url": "https://content.govdelivery.com/accounts/USFDA/bulletins/3639d20", "date": "n.d."},
    {"key": "fda-needlefree", "title": "Do Not Use Needle-Free Devices for Injection of Dermal Fillers", "publisher": "US FDA", "url": "https://content.govdelivery.com/accounts/USFDA/bulletins/2f668d7", "date": "2021-10-08"},
    {"key": "fda-silicone-2017", "title": "Injectable silicone for body contouring: FDA tips (copy)", "publisher": "US FDA Consumer Health Information", "url": "http://www.notjustthekitchen.com/injectable-silicone-body-contouring-enhancement-fda-warning/", "date": "2017-11-14"},
    {"key": "aad", "title": "Fillers: FAQs (copy of AAD text)", "publisher": "American Academy of Dermatology", "url": "https://www.practo.com/healthfeed/anti-ageing-fillers-good-or-bad-25360/post", "date": "n.d."},
    {"key": "asps", "title": "Dermal fillers: risks and recovery", "publisher": "American Society of Plastic Surgeons", "url": "https://www.plasticsurgery.org/x27065", "date": "n.d."},
    {"key": "jcad-hyal-2018", "title": "The use of hyaluronidase in aesthetic practice (v2.4)", "publisher": "J Clin Aesthet Dermatol 11(6):E61–E68", "url": "https://jcadonline.com/aesthetic-complications-hyaluronidase/", "date": "2018-06"},
]
# fmt: on

# Sections, areas, side effects and precautions are listed in page order.
TREATMENTS = [
    {
        "slug": "dermal-fillers",
        "name": "Dermal fillers",
        "order": 0,
        "summary": "Dermal fillers are gels injected under the skin to smooth lines or add fullness. Learn how they work, what the risks are, and how to choose a safe provider.",
        "sections": [
            {
                "kind": "overview",
                "sources": ["fda-dos", "fda-fillers", "fda-p090016"],
                "body": """
                    Dermal fillers are soft gels that a trained provider injects under the skin. They can smooth lines and folds. They can also add fullness where the face has lost it. In the US, the FDA checks and approves fillers as medical devices.

                    The FDA approves each filler for set uses in adults aged 22 and over. Approved uses include:

                    - Lines and folds on the face.
                    - Adding fullness to the lips, cheeks or chin.
                    - Adding fullness to the back of the hand.

                    Each product is approved only for its own uses. A filler that is approved for one area may not be approved for another.

                    Some fillers are made of hyaluronic acid (HA). HA is a sugar your body makes on its own. Belotero is one brand of hyaluronic acid filler; see our Belotero page.

                    No filler is approved to shape the body, such as the breasts or buttocks.

                    This page gives general facts about fillers. Each product has its own label, uses and risks. Ask your provider about the product they plan to use.
                """,
            },
            {
                "kind": "how_it_works",
                "sources": ["fda-dos", "fda-fillers", "fda-needlefree"],
                "body": """
                    A filler is a gel that is placed under the skin. It works by filling space. This can soften a fold, plump up a hollow, or add shape to an area such as the lips.

                    Some fillers are absorbable. This means the body slowly breaks them down. So the effect does not last forever. How long it lasts depends on what the filler is made of and where it goes.

                    Fillers that the FDA has approved are given with a syringe. The gel goes in through a fine needle or a thin, blunt tube called a cannula.

                    The FDA has warned people not to use needle-free pens, sometimes called "hyaluron pens," to push filler into the skin. These pens have caused injuries to the skin, lips and eyes. Some of this harm was permanent.

                    Fillers are a medical treatment. They should be given by a licensed provider who has been trained to do it.
                """,
            },
            {
                "kind": "procedure",
                "sources": ["fda-dos", "aad", "fda-needlefree", "asps"],
                "body": """
                    **Before.** Your provider asks about your health, your medicines and any allergies. They should explain the risks before you agree to treatment. Ask how much experience they have. Ask how they would handle a problem if one came up.

                    **Numbing.** Your provider may use ice, a numbing cream, or a numbing injection called a nerve block. The choice depends on the area being treated.

                    **The injection.** The gel goes in with a syringe and a fine needle or a blunt cannula.

                    **How long it takes.** Most sessions take about 15 to 30 minutes.

                    **Where.** Filler injection is a medical procedure. It should never be done at a spa, a salon, a party or in someone's home.

                    **After.** Most people have little or no downtime. Lips may look swollen for 2 to 3 days. Try not to rub the treated area.
                """,
            },
            {
                "kind": "results",
                "sources": ["fda-fillers", "fda-p090016", "fda-s050", "jcad-hyal-2018"],
                "body": """
                    Results from absorbable fillers do not last forever. How long they last depends on the product and on the area treated. So there is no single answer for all fillers. Each product's FDA label says what was found in its studies.

                    Here are two examples from the FDA labeling for Belotero:

                    - For lines from the nose to the mouth, Belotero Balance lasted up to 6 months.
                    - For hollows under the eyes, Belotero Balance (+) Lidocaine lasted up to 48 weeks.

                    Results fade slowly over time. If you want to keep the look, ask your provider about repeat treatment.

                    **Can filler be undone?** Filler made of hyaluronic acid (HA) can be broken down with an enzyme called hyaluronidase. Using it this way is "off-label." That means it is not a use listed on the drug's label. Doctors use it based on expert guidance. Ask your provider whether it would be an option for the product you are having.
                """,
            },
            {
                "kind": "side_effects",
                "sources": ["fda-dos", "fda-delayed", "fda-p090016"],
                "body": """
                    Most side effects start soon after the injection. Most clear up within a few weeks. For example, one HA filler's label lists swelling, redness, pain and bruising where the needle went in.

                    Some side effects can show up weeks or even years later. For example, swelling or redness near the filler can start after an illness, a vaccine or dental work.

                    **Rare but serious.** Filler can get into a blood vessel and block it. This can cause:

                    - Loss of sight, which may be permanent.
                    - A stroke.
                    - Damage to the skin or to the tissue under it.

                    **Get urgent medical care right away** if you notice any change in your vision, signs of a stroke, skin that turns pale or white, or pain that is not normal. Then let us know.

                    Each product has its own list of side effects. See the product's page, and ask your provider what to expect.
                """,
            },
            {
                "kind": "contraindications",
                "sources": ["fda-dos", "fda-fillers", "fda-delayed"],
                "body": """
                    Fillers are not right for everyone. The FDA says they may not suit people with:

                    - A bleeding disorder.
                    - Some kinds of allergies.

                    FDA approvals for fillers are for adults aged 22 and over.

                    Each product's label also lists its own reasons not to treat, or to wait. For the Belotero list, see our Belotero page.

                    Before your treatment, tell your provider about:

                    - Any allergies, and any bad reactions you have had in the past.
                    - Any bleeding problems.
                    - All your medicines and supplements.
                    - Any fillers you have had before, and any problems with them.

                    Our consultation form asks about each of these. Please answer as fully as you can. Your answers help your provider decide if filler is safe for you, or if you should wait.
                """,
            },
            {
                "kind": "faq",
                "sources": ["fda-fillers", "fda-needlefree", "aad", "fda-dos", "fda-silicone-2017", "jcad-hyal-2018"],
                "body": """
                    ### Can I buy filler online and use it at home?

                    No. The FDA says never to buy fillers online.

                    ### Are needle-free "hyaluron pens" safe?

                    No. In 2021 the FDA warned people not to use them. They have hurt people's skin, lips and eyes, sometimes for good.

                    ### Can I get filler at a spa, salon or party?

                    No. Filler injection is a medical procedure. It should only be done by a licensed provider in a medical setting.

                    ### Can filler be used to shape my body?

                    No. The FDA has not approved any filler for the breasts, buttocks or other body shaping.

                    ### How do I choose a provider?

                    Choose a licensed provider with plenty of experience. They should explain the risks first. They should also know how to handle a problem if one occurs.

                    ### Are fillers permanent?

                    Absorbable fillers are not. The effect fades over time. HA filler can also be broken down with an enzyme if needed.
                """,
            },
        ],
        "areas": [],
        "side_effects": [
            {
                "name": "Reactions where the filler was injected",
                "description": "Swelling, redness, pain and bruising are typical. They start soon after the injection.",
                "frequency": "common",
                "duration": "Most clear within a few weeks",
                "sources": ["fda-dos", "fda-p090016"],
            },
            {
                "name": "Delayed swelling or redness",
                "description": "Swelling or redness near the filler can start weeks or years later, for example after an illness, a vaccine or dental work. Tell your provider if this happens.",
                "frequency": "uncommon",
                "duration": "",
                "sources": ["fda-delayed", "fda-dos"],
            },
            {
                "name": "Filler entering a blood vessel",
                "description": "Filler can block a blood vessel. This can cause loss of sight, a stroke or skin damage. Get urgent care right away for any change in vision, signs of a stroke, skin that turns pale or white, or unusual pain.",
                "frequency": "rare",
                "duration": "Needs urgent care",
                "sources": ["fda-dos"],
            },
        ],
        "precautions": [
            {
                "kind": "discuss",
                "description": "Fillers may not be right for people with a bleeding disorder.",
                "question": "Do you have a bleeding or clotting disorder?",
                "sources": ["fda-dos"],
            },
            {
                "kind": "discuss",
                "description": "Fillers may not be right for people with some allergies.",
                "question": "Do you have any allergies, such as to medicines or to something you reacted to badly in the past?",
                "sources": ["fda-dos"],
            },
        ],
    },
    {
        "slug": "belotero",
        "name": "Belotero",
        "order": 1,
        "summary": "Belotero is a range of clear hyaluronic acid fillers made by Merz. In the US, Belotero products are approved to smooth deep facial lines and folds, fill under-eye hollows, and add volume to the lips.",
        "sections": [
            {
                "kind": "overview",
                "sources": ["fda-p090016", "prasetyo-2016", "openfda-p090016", "fda-s050", "openfda-p250016"],
                "body": """
                    Belotero is a brand of dermal filler made by the company Merz. Each product is a clear gel made of hyaluronic acid (HA). HA is a sugar your body makes on its own. Your provider injects the gel under the skin to fill lines and hollows.

                    There are several Belotero products, each made for a different job. In the US, the FDA has approved these:

                    - **Belotero Balance**, for moderate to severe lines and folds on the face. An example is the lines from your nose to the corners of your mouth.
                    - **Belotero Balance (+) Lidocaine**, for hollows under the eyes in adults over 21.
                    - **Belotero Intense (+) Lidocaine**, for the lips in adults over 21.

                    Products with (+) in the name also contain lidocaine. This is a numbing drug that makes the injection more comfortable.

                    The results do not last forever. They fade slowly over time.

                    This page explains how Belotero works, what to expect, the risks, and who should not have it. Ask your provider which product, if any, suits you.
                """,
            },
            {
                "kind": "how_it_works",
                "sources": ["fda-p090016", "prasetyo-2016", "biesman-2024", "openfda-p090016"],
                "body": """
                    Belotero works by adding volume. The gel fills the space under a line, a fold or a hollow. This lifts the skin from below, so it looks smoother. The effect is temporary.

                    The gel is "cross-linked." This means the strands of HA are joined together to form a gel. Merz has its own name for the way it makes this gel. It calls it CPM.

                    **What about collagen?** Collagen is a protein that helps keep skin firm. Some ads say Belotero makes your skin build new collagen. This has not been shown. The FDA describes Belotero as a filler that adds volume for a time. The FDA labeling makes no claim about collagen.

                    **What does the (+) mean?** Products with (+) in the name contain lidocaine, a numbing drug. Belotero Balance (+) has 0.3% lidocaine. It numbs the area as the gel goes in, which makes the treatment more comfortable.
                """,
            },
            {
                "kind": "areas",
                "sources": [
                    "fda-p090016",
                    "fda-s050",
                    "openfda-p250016",
                    "isi-bal",
                    "openfda-p090016",
                    "am-lips",
                    "am-revive",
                ],
                "body": """
                    Each Belotero product is approved for certain areas only. The list below shows each area, the product, and its status in the US. The labels mean:

                    - **FDA-approved use:** the FDA has approved that product for that area.
                    - **Not an approved use in the US:** safety and results in that area have not been shown in controlled studies.
                    - **Approved outside the US only:** the product is sold in other countries. We found no US approval for it.

                    A few things to know:

                    - Belotero Balance was approved in 2011 for moderate to severe lines and folds, such as the lines from nose to mouth.
                    - Belotero Balance (+) Lidocaine was approved in 2023 for hollows under the eyes, in adults over 21.
                    - For the lips, FDA records list Belotero Intense (+) Lidocaine as approved in July 2026, for adults over 21. No full FDA label was available when we wrote this page. Balance and Balance (+) are not approved for the lips in the US.
                    - Some ads say Belotero treats fine lines, crow's feet or forehead lines. These are not approved uses in the US.

                    If a provider suggests a use that is not approved, ask why. Ask what is known about its safety.
                """,
            },
            {
                "kind": "procedure",
                "sources": [
                    "fda-dos",
                    "pi-bal",
                    "aad",
                    "openfda-p090016",
                    "fda-needlefree",
                    "belotero-ca",
                    "fda-p090016",
                ],
                "body": """
                    **Before.** Your provider asks about your health, your medicines and your allergies. They explain the risks and what you can expect. Then you decide if you want to go ahead.

                    **Numbing.** Products with (+) in the name already contain lidocaine, a numbing drug. With plain Belotero Balance, your provider may first inject a numbing drug such as lidocaine. Ice or a numbing cream may also be used.

                    **The injection.** The gel goes in through a syringe with a fine needle or a thin, blunt tube called a cannula.

                    **How long it takes.** Most sessions take about 15 to 30 minutes.

                    **Touch-up.** Many people need a second injection to get the best result. This is often done about 2 weeks after the first. In the main study of Belotero Balance, 103 of 118 people had a second injection.
                """,
            },
            {
                "kind": "results",
                "sources": ["fda-p090016", "fda-s050", "biesman-2024", "fda-fillers", "jcad-hyal-2018"],
                "body": """
                    How long results last depends on the product and the area. These are the figures from the FDA labeling:

                    - **Lines from nose to mouth (Belotero Balance):** up to 6 months. After that, the effect fades slowly.
                    - **Hollows under the eyes (Belotero Balance (+) Lidocaine):** up to 48 weeks, which is about 11 months. People in the study had 1 or 2 sessions.
                    - **Lips (Belotero Intense (+) Lidocaine):** no US label was available to us, so we cannot say yet.

                    In the under-eye study, about 8 in 10 treated people had improved at 8 weeks. Only about 2 in 100 people who were not treated had improved. Of those who improved with treatment, about 9 in 10 were still improved at 48 weeks.

                    Results are not permanent. If you want to keep the look, ask your provider about repeat treatment.

                    **Can it be undone?** HA filler can be broken down with an enzyme called hyaluronidase. This use is "off-label," which means it is not listed on the drug's label. Doctors use it based on expert guidance.
                """,
            },
            {
                "kind": "side_effects",
                "sources": ["fda-p090016", "isi-bal", "merz-ioh-2023", "fda-delayed", "fda-dos"],
                "body": """
                    Most side effects are mild and happen where the needle went in. They tend to start soon after treatment. For most people they last 7 days or less. They include:

                    - Swelling.
                    - Redness.
                    - Pain or tenderness.
                    - Bruising.
                    - Skin that feels firm or hard.
                    - Itching.

                    In the under-eye study, swelling was the most common side effect. It affected about 6 in 100 people.

                    Some side effects can show up later, even weeks or years after treatment:

                    - Lumps and bumps under the skin.
                    - Swelling or redness near the filler after an illness, a vaccine or dental work.
                    - Infection. This can happen with any injection through the skin.

                    **Rare but serious.** The filler can get into a blood vessel and block it. This can cause loss of sight, which may be permanent. It can also cause a stroke or damage to the skin.

                    **Get urgent medical care right away** if you notice any change in your vision, signs of a stroke, skin that turns pale or white, or pain that is not normal.
                """,
            },
            {
                "kind": "contraindications",
                "sources": ["fda-s050", "isi-bal", "isi-pt", "fda-dos"],
                "body": """
                    **Do not have Belotero if you:**

                    - Have ever had a severe allergic reaction (anaphylaxis).
                    - Have, or have had, several severe allergies.
                    - Are allergic to proteins from gram-positive bacteria. The gel has tiny traces of them. Ask us if you are not sure.
                    - Are allergic to lidocaine or similar numbing drugs. This applies to products with (+) in the name.

                    **Wait if you have** a cold sore, spots, a rash, hives or an infection where you want treatment. Wait until it has cleared or is under control.

                    **Talk to your provider first if you:**

                    - Are pregnant or breastfeeding. Safety has not been shown. This calls for care, but it is not a strict ban.
                    - Are under 21. Safety has not been shown at these ages.
                    - Take aspirin, ibuprofen-type painkillers, blood thinners or supplements that affect bleeding. These can make bruising or bleeding more likely. Do not stop a medicine on your own.
                    - Have a bleeding or clotting disorder.
                    - Have had, or plan to have, a laser treatment or chemical peel on the area. This can raise the risk of infection.

                    Our consultation form asks about each of these.
                """,
            },
            {
                "kind": "aftercare",
                "sources": ["belotero-ca", "asps", "isi-pt", "pi-bal", "isi-bal", "fda-delayed", "fda-dos"],
                "body": """
                    Most people have little or no downtime. After lip treatment, your lips may look swollen for 2 to 3 days.

                    **For the first 24 hours, avoid:**

                    - Hard exercise.
                    - A lot of sun or heat.
                    - Alcohol.
                    - Aspirin and ibuprofen-type painkillers. If a doctor told you to take one of these, ask your provider first.

                    These things can cause short-term redness, swelling or itching.

                    Try not to rub the treated area. Your provider may ask you to come back in about 2 weeks for a touch-up.

                    **Contact us if:**

                    - Swelling, redness or pain lasts more than 7 days or gets worse.
                    - You notice a lump or bump.
                    - Swelling or redness starts later, for example after an illness, a vaccine or dental work.

                    **Get urgent medical care right away** for any change in your vision, signs of a stroke, skin that turns pale or white, or pain that is not normal.
                """,
            },
            {
                "kind": "faq",
                "sources": [
                    "aad",
                    "openfda-p090016",
                    "belotero-ca",
                    "pi-bal",
                    "asps",
                    "isi-bal",
                    "fda-p090016",
                    "fda-s050",
                    "jcad-hyal-2018",
                    "fda-fillers",
                    "fda-dos",
                    "fda-needlefree",
                ],
                "body": """
                    ### Does it hurt?

                    Your provider can numb the area with ice, a cream or a numbing injection. Products with (+) in the name also contain a numbing drug.

                    ### How long does it take?

                    Most sessions take 15 to 30 minutes. Many people come back for a touch-up about 2 weeks later.

                    ### Is there downtime?

                    Most people have little or none. Swelling, redness or bruising usually goes within 7 days. Lips may look swollen for 2 to 3 days.

                    ### How long do results last?

                    The FDA labeling says up to 6 months for lines from nose to mouth. For hollows under the eyes, it says up to 48 weeks.

                    ### Can it be reversed?

                    An enzyme called hyaluronidase can break down HA filler. This is an off-label use.

                    ### Is it safe to get filler at a spa or buy it online?

                    No. The FDA and the American Academy of Dermatology both warn against it. Go to a licensed, skilled provider in a medical setting.

                    ### What if I am pregnant or breastfeeding?

                    Safety has not been shown. Tell your provider, who will talk through whether to wait.
                """,
            },
        ],
        "areas": [
            {
                "name": "Lines from nose to mouth and other deep facial folds",
                "product": "Belotero Balance",
                "status": "fda_approved",
                "description": "Approved by the FDA in 2011 for moderate to severe facial wrinkles and folds, such as the lines from nose to mouth (nasolabial folds).",
                "sources": ["fda-p090016"],
            },
            {
                "name": "Hollows under the eyes",
                "product": "Belotero Balance (+) Lidocaine",
                "status": "fda_approved",
                "description": "Approved by the FDA in September 2023 for under-eye hollows in adults over 21.",
                "sources": ["fda-s050"],
            },
            {
                "name": "Lips",
                "product": "Belotero Intense (+) Lidocaine",
                "status": "fda_approved",
                "description": "FDA records (openFDA) list an approval in July 2026 for adding volume to the lips in adults over 21. Using Belotero Balance or Balance (+) in the lips is not an approved use in the US.",
                "sources": ["openfda-p250016", "isi-bal"],
            },
            {
                "name": "Fine lines, crow's feet and forehead lines",
                "product": "Belotero Balance",
                "status": "not_approved_us",
                "description": "Not an approved use in the US. Safety and results in these areas have not been shown in controlled studies.",
                "sources": ["fda-p090016", "isi-bal"],
            },
            {
                "name": "Products sold outside the US only",
                "product": "Belotero Soft, Hydro, Revive, Lips Shape, Lips Contour",
                "status": "outside_us",
                "description": "These Belotero products are sold in other countries. We found no FDA approval for them.",
                "sources": ["openfda-p090016", "prasetyo-2016", "am-lips", "am-revive"],
            },
        ],
        "side_effects": [
            {
                "name": "Reactions where the needle went in",
                "description": "Swelling, redness, pain or tenderness, bruising, firmness and itching. They usually start soon after treatment. In the under-eye study, swelling was the most common (about 6 in 100 people).",
                "frequency": "common",
                "duration": "7 days or less for most people",
                "sources": ["fda-p090016", "isi-bal", "merz-ioh-2023"],
            },
            {
                "name": "Lumps and bumps",
                "description": "Small lumps can appear some time after treatment. Tell your provider if you notice one.",
                "frequency": "uncommon",
                "duration": "Can start later",
                "sources": ["fda-p090016"],
            },
            {
                "name": "Delayed swelling or redness",
                "description": "Swelling or redness near the filler can start after an illness, a vaccine or dental work. Contact us if this happens.",
                "frequency": "uncommon",
                "duration": "Can start weeks or years later",
                "sources": ["fda-delayed", "fda-dos"],
            },
            {
                "name": "Infection",
                "description": "As with any injection through the skin, infection can happen. Contact us if you are worried about the treated area.",
                "frequency": "uncommon",
                "duration": "",
                "sources": ["isi-bal"],
            },
            {
                "name": "Filler entering a blood vessel",
                "description": "Filler can block a blood vessel. This can cause loss of sight (which may be permanent), a stroke or skin damage. Get urgent care right away for any change in vision, signs of a stroke, skin that turns pale or white, or unusual pain.",
                "frequency": "rare",
                "duration": "Needs urgent care",
                "sources": ["isi-bal", "fda-dos"],
            },
        ],
        "precautions": [
            {
                "kind": "do_not_treat",
                "description": "Do not have Belotero if you have ever had a severe allergic reaction (anaphylaxis).",
                "question": "Have you ever had a severe allergic reaction that needed emergency treatment (anaphylaxis)?",
                "sources": ["fda-s050", "isi-bal"],
            },
            {
                "kind": "do_not_treat",
                "description": "Do not have Belotero if you have, or have had, several severe allergies.",
                "question": "Do you have, or have you had, more than one severe allergy?",
                "sources": ["fda-s050", "isi-bal"],
            },
            {
                "kind": "do_not_treat",
                "description": "The gel contains tiny traces of proteins from gram-positive bacteria. Do not have Belotero if you are allergic to them.",
                "question": "Are you allergic to proteins from gram-positive bacteria? (Ask us if you are unsure.)",
                "sources": ["fda-s050", "isi-bal"],
            },
            {
                "kind": "do_not_treat",
                "description": "Products with (+) in the name contain lidocaine. Do not have them if you are allergic to lidocaine or similar numbing drugs.",
                "question": "Are you allergic to lidocaine or any other numbing injection, such as the one a dentist uses?",
                "sources": ["fda-s050"],
            },
            {
                "kind": "postpone",
                "description": "Wait if you have a cold sore, spots, a rash, hives or an infection where you want treatment, until it has cleared or is under control.",
                "question": "Do you have a cold sore, spots, a rash, hives or an infection in the area you want treated?",
                "sources": ["isi-bal"],
            },
            {
                "kind": "discuss",
                "description": "Safety has not been shown in pregnancy or breastfeeding. Talk it through with your provider.",
                "question": "",
                "sources": ["isi-bal"],
            },
            {
                "kind": "discuss",
                "description": "Safety has not been shown in people under 21.",
                "question": "",
                "sources": ["isi-bal", "fda-s050"],
            },
            {
                "kind": "discuss",
                "description": "Aspirin, ibuprofen-type painkillers, blood thinners and some supplements can make bruising or bleeding more likely.",
                "question": "Do you take blood thinners, aspirin, ibuprofen-type painkillers, or supplements that can affect bleeding?",
                "sources": ["isi-bal"],
            },
            {
                "kind": "discuss",
                "description": "Fillers may not be right for people with a bleeding or clotting disorder.",
                "question": "Do you have a bleeding or clotting disorder?",
                "sources": ["fda-dos"],
            },
            {
                "kind": "discuss",
                "description": "Laser treatment, chemical peels and similar skin treatments on the same area can raise the risk of infection.",
                "question": "Have you had, or are you planning, a laser treatment, chemical peel or similar skin treatment on this area?",
                "sources": ["isi-pt"],
            },
        ],
    },
]

RECORD_MODELS = {
    "sections": "Section",
    "areas": "TreatmentArea",
    "side_effects": "SideEffect",
    "precautions": "Precaution",
}


def add_content(apps, schema_editor):
    Source = apps.get_model("education", "Source")
    Treatment = apps.get_model("education", "Treatment")
    sources = {}
    for row in SOURCES:
        fields = {k: v for k, v in row.items() if k != "key"}
        sources[row["key"]], _ = Source.objects.update_or_create(key=row["key"], defaults=fields)

    for data in TREATMENTS:
        fields = {k: v for k, v in data.items() if k not in RECORD_MODELS}
        treatment = Treatment.objects.create(**fields, **REVIEW)
        for related, model_name in RECORD_MODELS.items():
            Model = apps.get_model("education", model_name)
            for order, record in enumerate(data[related]):
                values = {k: v for k, v in record.items() if k != "sources"}
                if "body" in values:
                    values["body"] = textwrap.dedent(values["body"]).strip()
                obj = Model.objects.create(treatment=treatment, order=order, **values)
                obj.sources.set([sources[key] for key in record["sources"]])


def remove_content(apps, schema_editor):
    Source = apps.get_model("education", "Source")
    Treatment = apps.get_model("education", "Treatment")
    Treatment.objects.filter(slug__in=[t["slug"] for t in TREATMENTS]).delete()  # records cascade
    Source.objects.filter(key__in=[s["key"] for s in SOURCES]).delete()


class Migration(migrations.Migration):
    dependencies = [("education", "0001_initial")]

    operations = [migrations.RunPython(add_content, remove_content)]
