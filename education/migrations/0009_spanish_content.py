# ruff: noqa: E501
"""The Spanish text of the Belotero and dermal-fillers pages (issue 18), written from the same
research notes (shared/content/belotero-facts.md) as the English: same facts, same citations,
same "Get help at once" box. Plain Spanish: every section reads at Fernández-Huerta 70 or easier
(tests/test_i18n.py measures it).

Each record carries a fingerprint of the English text it translates ("en"). A record whose
English has changed since is left without Spanish: the page then falls short of a complete
Spanish version and Spanish readers keep the English page, never a mix. Sections are found by
kind, other records by position, sources by key.

The Spanish version still needs its own medical review, as every language does: a named reviewer
approves it in the admin ("Approve the Spanish version"); until then Spanish readers see the
approved English page with a notice.
"""

import hashlib

from django.db import migrations

TREATMENTS = {
    "dermal-fillers": {
        "treatment": {
            "en": "e39521f8e337",
            "name": "Rellenos dérmicos",
            "summary": "Los rellenos dérmicos son geles que se inyectan bajo la piel para suavizar arrugas o dar volumen. Sepa cómo funcionan, qué riesgos tienen y cómo elegir "
            "a un profesional seguro.",
        },
        "sections": {
            "get_help": {
                "en": "258f37183e41",
                "body": "Rara vez, el relleno entra en un vaso sanguíneo y lo tapa. Es una emergencia. Actúe enseguida si nota algo de esto después del relleno:\n"
                "\n"
                "- Un cambio en la vista.\n"
                "- Signos de un derrame cerebral: la cara se cae de un lado, un brazo está débil o le cuesta hablar.\n"
                "- La piel se pone pálida o blanca, o tiene un dolor que no es normal.\n"
                "\n"
                "Podemos deshacer el relleno de AH con una enzima llamada hialuronidasa.",
            },
            "overview": {
                "en": "5eaa59096c05",
                "body": "Los rellenos dérmicos son geles suaves que un profesional inyecta bajo la piel. Pueden suavizar arrugas y pliegues, o dar volumen. En EE. UU., "
                "la FDA los regula como productos médicos.\n"
                "\n"
                "La FDA aprueba cada relleno para ciertos usos en adultos de 22 años o más. Por ejemplo, para arrugas y pliegues de la cara, o para dar volumen "
                "a los labios, las mejillas, el mentón o el dorso de la mano. Un relleno aprobado para una zona puede no estarlo para otra. Ningún relleno está "
                "aprobado para dar forma al cuerpo, como los senos o los glúteos.\n"
                "\n"
                "Algunos rellenos son de ácido hialurónico (AH). El AH es un azúcar que su cuerpo produce solo. Belotero es una marca de AH; vea nuestra página "
                "de Belotero.",
            },
            "how_it_works": {
                "en": "0e5a267e1c6e",
                "body": "Un relleno ocupa un espacio bajo la piel. Así puede suavizar un pliegue, llenar un hueco o dar forma a una zona como los labios.\n"
                "\n"
                "Algunos rellenos son reabsorbibles: el cuerpo los deshace poco a poco, así que el efecto no es para siempre. Cuánto dura depende de qué "
                "está hecho el relleno y de dónde se pone.\n"
                "\n"
                "Los rellenos aprobados por la FDA se ponen con una jeringa, con una aguja fina o con un tubo fino y sin punta llamado cánula.",
            },
            "procedure": {
                "en": "a2b0e2b9c9f6",
                "body": "**Antes.** Su profesional le pregunta por su salud, sus medicamentos y sus alergias. Primero le explica los riesgos. Elija a un profesional "
                "con licencia y con experiencia, que sepa qué hacer si hay un problema.\n"
                "\n"
                "**Para no sentir dolor.** Con algunos rellenos, como Belotero Balance sin más, su profesional puede inyectar antes un anestésico como la "
                "lidocaína. Díganos si es alérgico a la lidocaína o a otros anestésicos.\n"
                "\n"
                "**Dónde.** Nunca se ponga relleno de manos de alguien sin licencia ni en un lugar que no sea un centro médico.\n"
                "\n"
                "**Después.** Los labios pueden verse hinchados de 2 a 3 días. Trate de no frotar la zona tratada.",
            },
            "results": {
                "en": "2d9cd497403a",
                "body": "El efecto de los rellenos reabsorbibles no dura para siempre. Cuánto dura depende del producto y de la zona. La etiqueta de la FDA de cada "
                "producto dice lo que hallaron sus estudios. Por ejemplo:\n"
                "\n"
                "- Belotero Balance duró hasta 6 meses en las arrugas que van de la nariz a la boca.\n"
                "- Belotero Balance (+) Lidocaine duró hasta 48 semanas en los huecos bajo los ojos.\n"
                "\n"
                "**¿Se puede deshacer el relleno?** El relleno de AH se puede deshacer con una enzima llamada hialuronidasa. Este uso es «fuera de etiqueta»: no "
                "figura en la etiqueta del medicamento. Los médicos lo usan según las guías de expertos.",
            },
            "side_effects": {
                "en": "56b89d5ccbf9",
                "body": "Casi todos los efectos secundarios empiezan poco después de la inyección y se van en unas semanas. Algunos empiezan semanas o incluso años "
                "después. Cada producto tiene su propia lista, así que pregunte a su profesional qué puede pasar.",
            },
            "contraindications": {
                "en": "e49b6e4d08ca",
                "body": "La FDA aprueba los rellenos para adultos de 22 años o más. La etiqueta de cada producto también dice cuándo no tratar o cuándo "
                "esperar; para Belotero, vea nuestra página de Belotero. Nuestro formulario de consulta pregunta por cada punto de abajo.",
            },
            "faq": {
                "en": "806a7f613af1",
                "body": "### ¿Puedo comprar relleno por internet y ponérmelo en casa?\n"
                "\n"
                "No. La FDA dice que nunca compre rellenos por internet.\n"
                "\n"
                "### ¿Son seguras las «plumas de hialurónico» sin aguja?\n"
                "\n"
                "No. En 2021 la FDA advirtió que no se usen. Han dañado la piel, los labios y los ojos de algunas personas, a veces para siempre.",
            },
        },
        "areas": [],
        "side_effects": [
            {
                "en": "428c76b8efc5",
                "name": "Reacciones donde entró el relleno",
                "description": "Hinchazón, enrojecimiento, dolor y moretones, por ejemplo, según la etiqueta de un relleno de AH.",
                "duration": "Casi todas se van en unas semanas.",
            },
            {
                "en": "3c77ec492c21",
                "name": "Hinchazón o enrojecimiento más tarde",
                "description": "Cerca del relleno, después de una enfermedad, una vacuna o un trabajo dental. Díganos si le pasa.",
                "duration": "Puede empezar semanas o años después.",
            },
            {
                "en": "fabb9e71c8cc",
                "name": "Reacción alérgica",
                "description": "Los rellenos pueden no ser para personas con algunas alergias. Algunos rellenos llevan lidocaína, y el gel de Belotero tiene restos de proteínas "
                "de bacterias. Una reacción alérgica grave es una emergencia: llame al 911. Si es leve, llámenos.",
                "duration": "",
            },
            {
                "en": "2a215454810d",
                "name": "Relleno que tapa un vaso sanguíneo",
                "description": "Puede causar pérdida de la vista, que puede ser para siempre, un derrame cerebral o daño en la piel o en el tejido de debajo. Vea «Busque ayuda "
                "enseguida» al principio de esta página.",
                "duration": "Necesita atención de urgencia.",
            },
        ],
        "precautions": [
            {
                "en": "ad236e32ebb1",
                "description": "Los rellenos pueden no ser adecuados para personas con un trastorno de la sangre que causa sangrado.",
                "question": "¿Tiene algún trastorno de la sangre que le haga sangrar o coagular mal?",
            },
            {
                "en": "f5e041359caa",
                "description": "Los rellenos pueden no ser adecuados para personas con algunas alergias. Díganos todas sus alergias y cualquier mala reacción que haya tenido.",
                "question": "¿Tiene alguna alergia, por ejemplo a medicamentos o a algo que le cayó mal en el pasado?",
            },
            {
                "en": "ad8dbfe7d221",
                "description": "Se puede usar un anestésico inyectado como la lidocaína, y algunos rellenos llevan lidocaína. Los productos con lidocaína no se deben usar si es "
                "alérgico a ella o a otros anestésicos locales de tipo amida (medicamentos para no sentir dolor).",
                "question": "¿Es alérgico a la lidocaína o a otra inyección para no sentir dolor, como la que usa el dentista?",
            },
        ],
    },
    "belotero": {
        "treatment": {
            "en": "184fb2faa75e",
            "name": "Belotero",
            "summary": "Belotero es una gama de rellenos transparentes de ácido hialurónico hechos por Merz. En EE. UU., los productos Belotero están aprobados para arrugas y "
            "pliegues profundos de la cara y para huecos bajo los ojos. La base de datos de la FDA también muestra un producto para labios, aún sin etiqueta.",
        },
        "sections": {
            "get_help": {
                "en": "258f37183e41",
                "body": "Rara vez, el relleno entra en un vaso sanguíneo y lo tapa. Es una emergencia. Actúe enseguida si nota algo de esto después del relleno:\n"
                "\n"
                "- Un cambio en la vista.\n"
                "- Signos de un derrame cerebral: la cara se cae de un lado, un brazo está débil o le cuesta hablar.\n"
                "- La piel se pone pálida o blanca, o tiene un dolor que no es normal.\n"
                "\n"
                "Podemos deshacer el relleno de AH con una enzima llamada hialuronidasa.",
            },
            "overview": {
                "en": "8a50f2c3b032",
                "body": "Belotero es una marca de relleno dérmico hecha por la empresa Merz. Cada producto es un gel transparente de ácido hialurónico (AH). El AH es un "
                "azúcar que su cuerpo produce solo.\n"
                "\n"
                "Estos son los usos aprobados en EE. UU. que encontramos:\n"
                "\n"
                "- **Belotero Balance**, para arrugas y pliegues de la cara de moderados a graves (2011).\n"
                "- **Belotero Balance (+) Lidocaine**, para huecos bajo los ojos en adultos de más de 21 años (2023).\n"
                "- **Belotero Intense (+) Lidocaine**, para los labios en adultos de más de 21 años. Solo lo sabemos por la base de datos de la FDA (julio de 2026). "
                "La FDA aún no ha publicado un resumen ni una etiqueta.\n"
                "\n"
                "Pregunte a su profesional qué producto le conviene, si alguno.",
            },
            "how_it_works": {
                "en": "6d152f3b40ef",
                "body": "Belotero da volumen. El gel llena el espacio bajo una arruga, un pliegue o un hueco. Así levanta la piel desde abajo y se ve más lisa. El efecto "
                "no dura para siempre.\n"
                "\n"
                "Algunos anuncios dicen que Belotero hace que su piel cree colágeno nuevo. Eso no se ha demostrado, y la etiqueta de la FDA no lo dice.\n"
                "\n"
                "Los productos con (+) en el nombre llevan lidocaína, un anestésico. Belotero Balance (+) tiene un 0,3 % de lidocaína.",
            },
            "areas": {
                "en": "36cb624e0c2c",
                "body": "Cada producto está aprobado solo para ciertas zonas; la etiqueta junto a cada zona dice lo que se sabe en EE. UU. Si un profesional le propone un uso no "
                "aprobado, pregúntele por qué y qué se sabe de su seguridad.",
            },
            "procedure": {
                "en": "2da1b03cc94a",
                "body": "**Antes.** Su profesional le pregunta por su salud, sus medicamentos y sus alergias. Le explica los riesgos y qué puede esperar.\n"
                "\n"
                "**Para no sentir dolor.** Con Belotero Balance sin más, su profesional puede inyectar antes un anestésico como la lidocaína. Los productos con (+) "
                "ya lo llevan.\n"
                "\n"
                "**La inyección.** El gel se pone con una jeringa. El paquete de Balance (+) trae dos agujas.\n"
                "\n"
                "**Cuánto dura.** Unos 30 minutos. Muchas personas necesitan una segunda inyección para el mejor resultado, a menudo unas 2 semanas después de la "
                "primera. En el estudio principal de Belotero Balance, 103 de 118 personas tuvieron una.",
            },
            "results": {
                "en": "ee9654b888cb",
                "body": "Cuánto dura el efecto depende del producto y de la zona. Según la etiqueta de la FDA:\n"
                "\n"
                "- **Arrugas de la nariz a la boca (Belotero Balance):** hasta 6 meses. Después, el efecto se va poco a poco.\n"
                "- **Huecos bajo los ojos (Belotero Balance (+) Lidocaine):** hasta 48 semanas, unos 11 meses, tras 1 o 2 sesiones.\n"
                "- **Labios (Belotero Intense (+) Lidocaine):** aún no se sabe. No hay etiqueta publicada en EE. UU.\n"
                "\n"
                "**¿Se puede deshacer?** El relleno de AH se puede deshacer con una enzima llamada hialuronidasa. Este uso es «fuera de etiqueta»: no figura en la "
                "etiqueta del medicamento. Los médicos lo usan según las guías de expertos.",
            },
            "side_effects": {
                "en": "0b21cf6adcb5",
                "body": "Casi todas las reacciones salen donde entró la aguja. Empiezan poco después del tratamiento y duran 7 días o menos.",
            },
            "contraindications": {
                "en": "21e44ad13d33",
                "body": "Estos puntos vienen de la etiqueta de Belotero. Nuestro formulario de consulta pregunta por cada uno.",
            },
            "aftercare": {
                "en": "ae71df4edb79",
                "body": "Casi nadie tiene que parar su vida normal. Tras tratar los labios, pueden verse hinchados de 2 a 3 días. Trate de no frotar la zona tratada.\n"
                "\n"
                "**Durante las primeras 24 horas, evite** el ejercicio fuerte, mucho sol o calor, el alcohol, y la aspirina o analgésicos como el ibuprofeno. Pueden "
                "causar enrojecimiento, hinchazón o picor por poco tiempo. Si un médico le mandó tomar uno de estos medicamentos, pregúntenos antes. **Llámenos** si "
                "la hinchazón, el enrojecimiento o el dolor duran más de 7 días.",
            },
            "faq": {
                "en": "95a781903773",
                "body": "### ¿Puedo comprar Belotero por internet y ponérmelo en casa?\n"
                "\n"
                "No. La FDA dice que nunca compre rellenos por internet y que nunca use «plumas de hialurónico» sin aguja: han dañado la piel, los labios y los ojos de "
                "algunas personas. Vaya a un profesional con licencia en un centro médico.",
            },
        },
        "areas": [
            {
                "en": "ba2c69873d39",
                "name": "Arrugas de la nariz a la boca y otros pliegues profundos de la cara",
                "description": "Aprobado en 2011 para arrugas y pliegues de la cara de moderados a graves, como los que van de la nariz a la boca.",
            },
            {
                "en": "12a20942b78b",
                "name": "Huecos bajo los ojos",
                "description": "Aprobado en septiembre de 2023 para adultos de más de 21 años.",
            },
            {
                "en": "fef4e4ce6848",
                "name": "Labios",
                "description": "La base de datos de la FDA muestra una aprobación en julio de 2026 para dar volumen a los labios en adultos de más de 21 años. La FDA aún no ha publicado un "
                "resumen ni una etiqueta, así que se sabe menos de él. Belotero Balance y Balance (+) no están aprobados para los labios: no se ha demostrado su seguridad ni "
                "su efecto allí en estudios controlados.",
            },
            {
                "en": "8bc231c94813",
                "name": "Arrugas finas, patas de gallo y arrugas de la frente",
                "description": "No se ha demostrado su seguridad ni su efecto en estas zonas en estudios controlados.",
            },
            {
                "en": "3ea86835b5a9",
                "name": "Otros productos Belotero",
                "description": "Se venden en otros países. No encontramos ninguna aprobación en EE. UU. para ellos.",
            },
        ],
        "side_effects": [
            {
                "en": "8834d2df4817",
                "name": "Reacciones donde entró la aguja",
                "description": "Hinchazón, enrojecimiento, dolor o sensibilidad, moretones, dureza y picor. En el estudio de los huecos bajo los ojos, lo más frecuente fue la "
                "hinchazón (unas 6 de cada 100 personas).",
                "duration": "Casi todas duran 7 días o menos.",
            },
            {"en": "b527731779ad", "name": "Bultos", "description": "Díganos si nota alguno.", "duration": ""},
            {
                "en": "08d4b9ea4f0c",
                "name": "Hinchazón o enrojecimiento tras una enfermedad, una vacuna o un trabajo dental",
                "description": "Puede pasar cerca de un relleno, incluso mucho después del tratamiento. Díganos si le pasa.",
                "duration": "",
            },
            {
                "en": "6d0e438597b7",
                "name": "Infección",
                "description": "Puede pasar con cualquier inyección en la piel. Llámenos si le preocupa la zona tratada.",
                "duration": "",
            },
            {
                "en": "ff0b30bdfd74",
                "name": "Reacción alérgica",
                "description": "El gel tiene restos de proteínas de bacterias grampositivas, y los productos (+) llevan lidocaína. Por eso, las personas con estas alergias, o con "
                "alergias graves, no deben ponerse Belotero (vea abajo). Una reacción alérgica grave es una emergencia: llame al 911. Si es leve, llámenos.",
                "duration": "",
            },
            {
                "en": "2a215454810d",
                "name": "Relleno que tapa un vaso sanguíneo",
                "description": "Puede causar pérdida de la vista, que puede ser para siempre, un derrame cerebral o daño en la piel o en el tejido de debajo. Vea «Busque ayuda "
                "enseguida» al principio de esta página.",
                "duration": "Necesita atención de urgencia.",
            },
        ],
        "precautions": [
            {
                "en": "2cd6cf196ba9",
                "description": "No se ponga Belotero si alguna vez tuvo una reacción alérgica grave (anafilaxia).",
                "question": "¿Alguna vez tuvo una reacción alérgica grave que necesitó atención de urgencia (anafilaxia)?",
            },
            {
                "en": "12048acc8f32",
                "description": "No se ponga Belotero si tiene o tuvo varias alergias graves.",
                "question": "¿Tiene o tuvo más de una alergia grave?",
            },
            {
                "en": "ddc30cd29717",
                "description": "No se ponga Belotero si es alérgico a proteínas de bacterias grampositivas. El gel tiene restos muy pequeños de ellas.",
                "question": "¿Es alérgico a proteínas de bacterias grampositivas? (Pregúntenos si no está seguro.)",
            },
            {
                "en": "b00128f7d89e",
                "description": "No se ponga un producto (+) si es alérgico a la lidocaína o a otros anestésicos locales de tipo amida (medicamentos para no sentir dolor). Balance sin "
                "más se puede poner tras una inyección de lidocaína, así que su profesional debe saberlo.",
                "question": "¿Es alérgico a la lidocaína o a otra inyección para no sentir dolor, como la que usa el dentista?",
            },
            {
                "en": "34f31a0918c2",
                "description": "El gel nunca se debe inyectar en un vaso sanguíneo.",
                "question": "",
            },
            {
                "en": "58ce050d00df",
                "description": "Espere si tiene un herpes labial, granos, un sarpullido, ronchas o una infección donde quiere el tratamiento, hasta que esté controlado.",
                "question": "¿Tiene un herpes labial, granos, un sarpullido, ronchas o una infección en la zona que quiere tratar?",
            },
            {
                "en": "4eb724c6490b",
                "description": "No se ha demostrado que sea seguro en el embarazo ni en la lactancia. Es un motivo para tener cuidado, no una prohibición.",
                "question": "",
            },
            {
                "en": "d190c451505a",
                "description": "No se ha demostrado que sea seguro en menores de 21 años.",
                "question": "",
            },
            {
                "en": "ee899e3be728",
                "description": "La aspirina, los analgésicos como el ibuprofeno, los anticoagulantes y algunos suplementos pueden hacer más probables los moretones o el sangrado.",
                "question": "¿Toma anticoagulantes, aspirina, analgésicos como el ibuprofeno o suplementos que pueden afectar al sangrado?",
            },
            {
                "en": "08b2ad9aef13",
                "description": "Los rellenos pueden no ser adecuados para personas con un trastorno de la sangre que causa sangrado o mala coagulación.",
                "question": "¿Tiene algún trastorno de la sangre que le haga sangrar o coagular mal?",
            },
            {
                "en": "26e6eaded781",
                "description": "El láser, los peelings químicos y otros tratamientos parecidos de la piel en la misma zona pueden aumentar el riesgo de infección.",
                "question": "¿Se ha hecho, o piensa hacerse, un tratamiento con láser, un peeling químico u otro tratamiento parecido de la piel en esta zona?",
            },
        ],
    },
}

SOURCES = {
    "fda-p090016": {
        "en": "543274ba2a43",
        "title": "Belotero Balance – P090016 (resumen de la aprobación, en inglés)",
        "publisher": "FDA de EE. UU.",
        "copy_of": "",
    },
    "fda-s050": {
        "en": "8cebb554c21d",
        "title": "Belotero Balance (+) – P090016/S050 (en inglés)",
        "publisher": "FDA de EE. UU.",
        "copy_of": "",
    },
    "openfda-p090016": {
        "en": "adc0d7ce5601",
        "title": "Registro P090016 en la base de datos de aprobaciones (familia Belotero Balance; datos de la base, no una etiqueta; en inglés)",
        "publisher": "FDA de EE. UU.",
        "copy_of": "",
    },
    "openfda-p250016": {
        "en": "062e3080df62",
        "title": "Registro P250016 en la base de datos de aprobaciones, Belotero Intense (+) Lidocaine (datos de la base, no una etiqueta; en inglés)",
        "publisher": "FDA de EE. UU.",
        "copy_of": "",
    },
    "isi-bal": {
        "en": "5620d815b0bc",
        "title": "Información importante de seguridad de Belotero Balance (en inglés)",
        "publisher": "Amoderm (sitio web de una clínica)",
        "copy_of": "la etiqueta de Merz",
    },
    "isi-pt": {
        "en": "379b118f42c7",
        "title": "Información de seguridad de Belotero para pacientes (en inglés)",
        "publisher": "Aesthetica (sitio web de una clínica)",
        "copy_of": "la etiqueta de Merz",
    },
    "pi-bal": {
        "en": "46f4790d2e75",
        "title": "Hoja de información para pacientes de Belotero Balance (en inglés)",
        "publisher": "Clear Aesthetics (sitio web de una clínica)",
        "copy_of": "la hoja de información para pacientes de Merz",
    },
    "merz-ioh-2023": {
        "en": "b13d5b7d4d8c",
        "title": "Primeros resultados del estudio principal de Belotero Balance (+) en los huecos bajo los ojos (en inglés)",
        "publisher": "Merz Aesthetics",
        "copy_of": "",
    },
    "biesman-2024": {
        "en": "76efc03f9376",
        "title": "Belotero Balance (+) para los huecos bajo los ojos: un ensayo aleatorizado (en inglés)",
        "publisher": "Aesthetic Surgery Journal 44(9):976–986 (resumen en PubMed)",
        "copy_of": "",
    },
    "prasetyo-2016": {
        "en": "c2abc1d4b483",
        "title": "Rellenos de ácido hialurónico con matriz cohesiva polidensificada: revisión de la literatura (en inglés)",
        "publisher": "Clin Cosmet Investig Dermatol 9:257–280 (texto completo en PubMed Central)",
        "copy_of": "",
    },
    "belotero-ca": {
        "en": "88479998096d",
        "title": "Preguntas frecuentes sobre Belotero (en inglés)",
        "publisher": "Merz Canadá (belotero.ca)",
        "copy_of": "",
    },
    "am-lips": {
        "en": "c910e76711d3",
        "title": "«Turn down the volume» (Belotero Lips Shape y Lips Contour en el Reino Unido; en inglés)",
        "publisher": "Aesthetic Medicine (Reino Unido)",
        "copy_of": "",
    },
    "am-revive": {
        "en": "5ad71d318732",
        "title": "«Refresh and revive» (Belotero Revive; en inglés)",
        "publisher": "Aesthetic Medicine (Reino Unido)",
        "copy_of": "",
    },
    "fda-fillers": {
        "en": "672514576e2a",
        "title": "Rellenos dérmicos (rellenos de tejidos blandos) (en inglés)",
        "publisher": "FDA de EE. UU.",
        "copy_of": "",
    },
    "fda-dos": {
        "en": "2d69d40d20c1",
        "title": "Lo que debe y no debe hacer con los rellenos dérmicos para arrugas, labios y más (en inglés)",
        "publisher": "FDA de EE. UU.",
        "copy_of": "",
    },
    "fda-delayed": {
        "en": "bf7c5b7fd673",
        "title": "La FDA informa del riesgo de inflamación tardía cerca de los rellenos (en inglés)",
        "publisher": "FDA de EE. UU. (boletín por correo)",
        "copy_of": "",
    },
    "fda-needlefree": {
        "en": "e97e9a3b7c89",
        "title": "No use dispositivos sin aguja para inyectar rellenos dérmicos (en inglés)",
        "publisher": "FDA de EE. UU. (boletín por correo)",
        "copy_of": "",
    },
    "asps": {
        "en": "f7c58b59416a",
        "title": "Rellenos dérmicos: riesgos y recuperación (en inglés)",
        "publisher": "American Society of Plastic Surgeons",
        "copy_of": "",
    },
    "jcad-hyal-2018": {
        "en": "2c1130f35bb2",
        "title": "El uso de la hialuronidasa en la práctica estética (v2.4) (en inglés)",
        "publisher": "J Clin Aesthet Dermatol 11(6):E61–E68",
        "copy_of": "",
    },
    "aad": {
        "en": "b2b373b7caab",
        "title": "Rellenos: preguntas frecuentes (en inglés)",
        "publisher": "Practo (sitio web de salud)",
        "copy_of": "un texto de la American Academy of Dermatology",
    },
    "fda-silicone-2017": {
        "en": "63139502ce26",
        "title": "Silicona inyectable para moldear el cuerpo: consejos para consumidores (en inglés)",
        "publisher": "Not Just the Kitchen (blog)",
        "copy_of": "información de salud para consumidores de la FDA de EE. UU.",
    },
}

RECORDS = {
    "areas": ("TreatmentArea", ("name", "description")),
    "side_effects": ("SideEffect", ("name", "description", "duration")),
    "precautions": ("Precaution", ("description", "question")),
}


def fingerprint(*values):
    return hashlib.sha256("\x1f".join(value or "" for value in values).encode()).hexdigest()[:12]


def translate(row, fields, spanish):
    """Give the row its Spanish text if its English is still the text that was translated."""
    if spanish is None or fingerprint(*(getattr(row, f"{field}_en") for field in fields)) != spanish["en"]:
        return False
    for field in fields:
        setattr(row, f"{field}_es", spanish[field])
    row.save(update_fields=[f"{field}_es" for field in fields])
    return True


def add_spanish(apps, schema_editor):
    Treatment = apps.get_model("education", "Treatment")
    Section = apps.get_model("education", "Section")
    Source = apps.get_model("education", "Source")
    for slug, data in TREATMENTS.items():
        treatment = Treatment.objects.filter(slug=slug).first()
        if treatment is None:
            continue
        translate(treatment, ("name", "summary"), data["treatment"])
        for section in Section.objects.filter(treatment=treatment):
            translate(section, ("body",), data["sections"].get(section.kind))
        for related, (model_name, fields) in RECORDS.items():
            rows = apps.get_model("education", model_name).objects.filter(treatment=treatment).order_by("order", "pk")
            for row, spanish in zip(rows, data[related], strict=False):
                translate(row, fields, spanish)
    for source in Source.objects.filter(key__in=SOURCES):
        translate(source, ("title", "publisher", "copy_of"), SOURCES[source.key])


def remove_spanish(apps, schema_editor):
    for model_name, fields in [
        ("Treatment", ("name", "summary")),
        ("Section", ("body",)),
        ("Source", ("title", "publisher", "copy_of")),
        *RECORDS.values(),
    ]:
        apps.get_model("education", model_name).objects.update(**{f"{field}_es": None for field in fields})


class Migration(migrations.Migration):
    dependencies = [("education", "0008_translated_content")]
    operations = [migrations.RunPython(add_spanish, remove_spanish)]
