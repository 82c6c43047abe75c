"""The project's own instruction wrappers (source "routerdesk-templates").

Instructions written here, in ten languages, wrapped around public material
(xquad's parallel Wikipedia paragraphs, CPython's standard library). They add
what the public sets lack: translation, summarization and extraction requests
in several languages, questions asked in ten languages (about a pasted passage, and
closed-book lookups), classifying a pasted text asked as a question, role-play,
writing tasks of every form (plans, proposals, letters,
role-play), advice and brainstorming, and code prompts as coding tools send
them (a bare signature with a docstring, a paste with one line of instruction).
Held out as one source in the leave-one-source-out evaluation like any other.
"""

from __future__ import annotations

import ast
import random
import sysconfig
from collections.abc import Iterator
from pathlib import Path
from typing import Any

LANG_NAMES = {  # how each instruction language names the target languages
    "en": {"en": "English", "de": "German", "fr": "French", "es": "Spanish", "pt": "Portuguese",
           "it": "Italian", "ru": "Russian", "zh": "Chinese", "ja": "Japanese", "ko": "Korean",
           "ar": "Arabic", "hi": "Hindi", "tr": "Turkish", "vi": "Vietnamese", "el": "Greek",
           "ro": "Romanian", "th": "Thai", "pl": "Polish", "nl": "Dutch", "cs": "Czech",
           "uk": "Ukrainian", "he": "Hebrew"},
    "de": {"en": "Englische", "fr": "Französische", "es": "Spanische", "it": "Italienische",
           "ru": "Russische", "zh": "Chinesische", "ja": "Japanische", "tr": "Türkische"},
    "fr": {"en": "anglais", "de": "allemand", "es": "espagnol", "it": "italien", "ru": "russe",
           "zh": "chinois", "ar": "arabe", "vi": "vietnamien"},
    "es": {"en": "inglés", "de": "alemán", "fr": "francés", "pt": "portugués", "zh": "chino",
           "ru": "ruso", "ar": "árabe"},
    "pt": {"en": "inglês", "es": "espanhol", "fr": "francês", "de": "alemão", "zh": "chinês"},
    "it": {"en": "inglese", "de": "tedesco", "fr": "francese", "es": "spagnolo"},
    "ru": {"en": "английский", "de": "немецкий", "zh": "китайский", "fr": "французский",
           "tr": "турецкий", "uk": "украинский"},
    "zh": {"en": "英文", "de": "德文", "ja": "日文", "fr": "法文", "ru": "俄文", "ko": "韩文",
           "vi": "越南文", "th": "泰文"},
    "ja": {"en": "英語", "zh": "中国語", "ko": "韓国語", "de": "ドイツ語", "fr": "フランス語"},
    "ko": {"en": "영어", "zh": "중국어", "ja": "일본어", "de": "독일어"},
}  # fmt: skip

TRANSLATE = {
    "en": ["Translate the following text into {L}:\n\n{T}", "Translate to {L}: {T}",
           "Can you translate this into {L}? Keep the tone.\n\n{T}",
           "Translate the following segment from {S} to {L}.\n\n{T}",
           "{T}\n\nTranslate the above into {L}.", "Please render this paragraph in {L}:\n{T}",
           "I need this in {L} for a client, natural and fluent please:\n\n{T}",
           "What is this in {L}?\n{T}", "{S} to {L}:\n{T}",
           "Translate this sentence from {S} into {L}, then give a word-for-word gloss: {T}",
           "How would a native speaker say this in {L}? \"{T}\"",
           "Localize this text for a {L} audience:\n\n{T}"],
    "de": ["Übersetze den folgenden Text ins {L}:\n\n{T}", "Bitte ins {L} übersetzen: {T}",
           "Kannst du das ins {L} übertragen?\n{T}"],
    "fr": ["Traduis ce texte en {L} :\n\n{T}", "Peux-tu traduire ceci en {L} ?\n{T}",
           "Traduction en {L}, s'il te plaît :\n{T}"],
    "es": ["Traduce el siguiente texto al {L}:\n\n{T}", "¿Puedes traducir esto al {L}?\n{T}"],
    "pt": ["Traduza o texto a seguir para o {L}:\n\n{T}", "Pode traduzir isto para {L}?\n{T}"],
    "it": ["Traduci il seguente testo in {L}:\n\n{T}", "Puoi tradurre questo in {L}?\n{T}"],
    "ru": ["Переведи этот текст на {L} язык:\n\n{T}", "Переведи на {L}: {T}"],
    "zh": ["请把下面这段话翻译成{L}：\n\n{T}", "翻译成{L}：{T}", "帮我把这段文字译成{L}。\n{T}"],
    "ja": ["次の文章を{L}に翻訳してください。\n\n{T}", "{L}に訳して：{T}"],
    "ko": ["다음 글을 {L}로 번역해 주세요.\n\n{T}", "{L}로 번역: {T}"],
}  # fmt: skip

SUMMARIZE = {
    "en": ["Summarize this in two sentences:\n\n{T}", "TL;DR:\n\n{T}", "{T}\n\nTL;DR",
           "Give me the key points of this text as bullets.\n\n{T}",
           "What's the gist of this?\n{T}", "{T}\n\nSummarize the passage above for a busy manager.",
           "Condense the following into one short paragraph:\n\n{T}",
           "Write a one-line summary of this article.\n\n{T}",
           "Here are my meeting notes, can you boil them down to the main takeaways?\n\n{T}",
           "Produce an abstract (under 80 words) of:\n{T}",
           "Briefly recap what this says:\n\n{T}", "Shorten this to three bullet points:\n{T}"],
    "de": ["Fasse den folgenden Text in drei Sätzen zusammen:\n\n{T}",
           "Gib mir eine kurze Zusammenfassung:\n{T}", "{T}\n\nWas sind die Kernaussagen?"],
    "fr": ["Résume ce texte en quelques phrases :\n\n{T}", "Fais-moi un résumé de ceci :\n{T}",
           "{T}\n\nQuels sont les points essentiels ?"],
    "es": ["Resume el siguiente texto en dos frases:\n\n{T}", "Hazme un resumen breve:\n{T}"],
    "pt": ["Resuma o texto abaixo em poucas linhas:\n\n{T}", "Faça um resumo disto:\n{T}"],
    "it": ["Riassumi questo testo in poche righe:\n\n{T}", "Fammi un riassunto:\n{T}"],
    "ru": ["Кратко перескажи этот текст:\n\n{T}", "Сделай краткое резюме:\n{T}"],
    "zh": ["请总结下面这段文字的要点：\n\n{T}", "用一句话概括：{T}", "{T}\n\n请概括以上内容。"],
    "ja": ["次の文章を要約してください。\n\n{T}", "三行でまとめて：\n{T}"],
    "ko": ["다음 글을 요약해 주세요.\n\n{T}", "핵심만 정리해 줘:\n{T}"],
}  # fmt: skip

EXTRACT = {
    "en": ["Extract every person, place and date mentioned in the text below as JSON.\n\n{T}",
           "List all the numbers in this passage with what each one counts:\n{T}",
           "From the text below, pull out the organisations and return them as a CSV with columns name,role.\n\n{T}",
           "{T}\n\nReturn a JSON object with keys \"who\", \"when\", \"where\" filled from the text above.",
           "Identify the named entities (PERSON, ORG, LOC, DATE) in:\n{T}",
           "Classify the topic of this paragraph as one of: sports, history, science, politics, religion, economy, geography, other.\n\n{T}",
           "Parse this into structured data (field: value per line): {T}",
           "Get me all the years and what happened in each from this text:\n\n{T}",
           "Is the sentiment of this text positive, negative or neutral? Answer with one word.\n\n{T}",
           "Fill this schema from the passage: {{\"title\": str, \"entities\": [str], \"year\": int}}\n\n{T}",
           "Tag each sentence below with its main subject.\n{T}",
           "Find all dates in the following text and normalise them to ISO 8601:\n{T}"],
    "de": ["Extrahiere alle Namen, Orte und Jahreszahlen aus diesem Text als JSON:\n\n{T}",
           "Liste alle Zahlen im Text mit ihrer Bedeutung auf:\n{T}"],
    "fr": ["Extrais toutes les personnes, lieux et dates de ce texte au format JSON :\n\n{T}",
           "Relève les chiffres mentionnés et ce qu'ils désignent :\n{T}"],
    "es": ["Extrae todas las personas, lugares y fechas del texto en formato JSON:\n\n{T}",
           "Clasifica el tema de este párrafo (deporte, historia, ciencia, política, otro):\n{T}"],
    "pt": ["Extraia os nomes, lugares e datas do texto abaixo em JSON:\n\n{T}"],
    "it": ["Estrai tutte le persone, i luoghi e le date dal testo in JSON:\n\n{T}"],
    "ru": ["Извлеки из текста все имена, места и даты в формате JSON:\n\n{T}",
           "Выпиши все числа из текста и что они обозначают:\n{T}"],
    "zh": ["从下面的文本中提取所有人名、地名和日期，以JSON格式输出：\n\n{T}", "列出文中提到的所有数字及其含义：\n{T}"],
    "ja": ["次の文章から人名・地名・日付をすべて抽出し、JSONで出力してください。\n\n{T}"],
    "ko": ["다음 텍스트에서 인명, 지명, 날짜를 모두 추출해 JSON으로 출력해 주세요.\n\n{T}"],
}  # fmt: skip

WRITE_FORMS = {
    "en": ["a short story", "a poem", "a haiku", "a limerick", "song lyrics", "a wedding toast",
           "a persuasive essay", "a blog post", "a cover letter for a job", "a product description",
           "a marketing email", "five slogans", "a one-page business plan", "a lesson plan for a 45-minute class",
           "a project proposal", "a press release", "a dialogue between two characters",
           "a speech for a graduation ceremony", "a motivational LinkedIn post", "a fairy tale for children",
           "a formal complaint letter", "a tweet thread", "an opening scene of a thriller",
           "a newsletter intro", "a grant application summary", "a eulogy", "an apology email to a customer",
           "a sonnet", "a rap verse", "a travel blog entry", "a pitch for investors",
           "an op-ed arguing a position", "a character backstory", "a recipe intro in a warm tone"],
    "de": ["eine Kurzgeschichte", "ein Gedicht", "eine Rede", "einen Werbetext", "ein Bewerbungsschreiben",
           "einen Blogbeitrag", "einen Geschäftsplan"],
    "fr": ["une nouvelle", "un poème", "un discours", "un texte publicitaire", "une lettre de motivation",
           "un article de blog"],
    "es": ["un cuento corto", "un poema", "un discurso", "un texto publicitario", "una carta de presentación"],
    "pt": ["um conto", "um poema", "um discurso", "um texto publicitário"],
    "it": ["un racconto", "una poesia", "un discorso", "un testo pubblicitario"],
    "ru": ["рассказ", "стихотворение", "речь", "рекламный текст", "сопроводительное письмо"],
    "zh": ["一篇短篇小说", "一首诗", "一篇演讲稿", "一段广告文案", "一封求职信", "一篇博客文章"],
    "ja": ["短編小説", "詩", "スピーチ原稿", "広告コピー", "ブログ記事"],
    "ko": ["단편 소설", "시", "연설문", "광고 문구", "블로그 글"],
}  # fmt: skip

WRITE = {
    "en": ["Write {F} about {X}.", "Compose {F} about {X}, in a playful tone.",
           "Can you write {F} about {X}? Keep it under 300 words.",
           "I need {F} on the theme of {X} for tomorrow.", "Draft {F} about {X}.",
           "Create {F} inspired by {X}.", "Write {F} about {X} from the point of view of a child.",
           "Pretend you are a pirate captain and tell me about {X}.",
           "Role-play as a tour guide in the year 2300 describing {X}.",
           "You are a grumpy medieval innkeeper. A traveller asks you about {X}. Stay in character.",
           "Imagine you are {X} and write a diary entry about your day.",
           "Write an email to my team announcing {X}, upbeat but professional."],
    "de": ["Schreibe {F} über {X}.", "Verfasse {F} zum Thema {X}."],
    "fr": ["Écris {F} sur {X}.", "Rédige {F} au sujet de {X}."],
    "es": ["Escribe {F} sobre {X}.", "Redacta {F} acerca de {X}."],
    "pt": ["Escreva {F} sobre {X}."],
    "it": ["Scrivi {F} su {X}."],
    "ru": ["Напиши {F} о {X}.", "Сочини {F} на тему «{X}»."],
    "zh": ["写{F}，主题是{X}。", "以{X}为题，写{F}。"],
    "ja": ["{X}についての{F}を書いてください。"],
    "ko": ["{X}에 관한 {F}을 써 주세요."],
}  # fmt: skip

GENERAL = {
    "en": ["What are some good ways to get better at {X}?", "Give me tips for {X}.",
           "Brainstorm ten ideas related to {X}.", "How should I prepare for {X}?",
           "I'm thinking about {X}. What should I consider?", "Recommend some books about {X}.",
           "What are the pros and cons of {X}?", "Can you help me plan a weekend around {X}?",
           "Explain {X} to me like I'm new to it.", "What's your opinion on {X}?",
           "Suggest a few fun activities involving {X} for a group of friends.",
           "How do I get started with {X}?", "Help me make a checklist for {X}.",
           "What questions should I ask an expert about {X}?",
           "Give me a weekly routine to learn more about {X}.",
           "Is {X} worth my time? Talk me through it."],
    "de": ["Was sind gute Tipps zum Thema {X}?", "Wie fange ich mit {X} an?", "Nenne mir Ideen rund um {X}."],
    "fr": ["Quels conseils me donnerais-tu pour {X} ?", "Comment débuter avec {X} ?", "Propose-moi des idées autour de {X}."],
    "es": ["¿Qué consejos me das sobre {X}?", "¿Cómo empiezo con {X}?", "Dame ideas relacionadas con {X}."],
    "pt": ["Que dicas você me dá sobre {X}?", "Como começo com {X}?"],
    "it": ["Che consigli mi daresti su {X}?", "Come inizio con {X}?"],
    "ru": ["Какие советы ты дашь насчёт {X}?", "С чего начать изучение темы {X}?"],
    "zh": ["关于{X}，你有什么建议？", "我该如何开始了解{X}？", "给我一些和{X}有关的点子。"],
    "ja": ["{X}について何かアドバイスはありますか？", "{X}を始めるにはどうすればいいですか？"],
    "ko": ["{X}에 대해 조언해 줄 수 있어?", "{X}를 시작하려면 어떻게 해야 해?"],
}  # fmt: skip

# Questions people ask in their own language: about a pasted passage (the question, not
# the passage, is the task) and closed-book lookups. Written here, not taken from xquad:
# xquad stays an independent source in the leave-one-source-out evaluation.
ASK_PASSAGE = {
    "en": ["{T}\n\nAccording to the text, who is the most important person mentioned?",
           "Based on the passage below, when did this happen?\n\n{T}",
           "{T}\n\nWhat year is mentioned first?", "Which place is this text about?\n{T}",
           "Answer using only the text: what was the main result?\n\n{T}",
           "{T}\n\nWhy did it happen, according to the passage?",
           "Read this and tell me how many people were involved.\n{T}",
           "{T}\n\nQ: What is the text mainly about?\nA:"],
    "de": ["{T}\n\nWer ist laut dem Text die wichtigste Person?", "Wann ist das laut Text passiert?\n\n{T}",
           "{T}\n\nWelcher Ort wird im Text genannt?"],
    "fr": ["{T}\n\nSelon le texte, qui est la personne la plus importante ?",
           "D'après ce passage, quand cela s'est-il produit ?\n\n{T}", "{T}\n\nDe quel lieu parle ce texte ?"],
    "es": ["{T}\n\nSegún el texto, ¿quién es la persona más importante?",
           "De acuerdo con el pasaje, ¿cuándo ocurrió esto?\n\n{T}", "{T}\n\n¿De qué lugar habla el texto?"],
    "pt": ["{T}\n\nSegundo o texto, quem é a pessoa mais importante?", "De acordo com o texto, quando isso aconteceu?\n\n{T}"],
    "it": ["{T}\n\nSecondo il testo, chi è la persona più importante?", "In base al brano, quando è successo?\n\n{T}"],
    "ru": ["{T}\n\nСогласно тексту, кто здесь главное лицо?", "Когда это произошло, судя по тексту?\n\n{T}",
           "{T}\n\nО каком месте идёт речь?"],
    "zh": ["{T}\n\n根据这段文字，最重要的人物是谁？", "根据下文，这件事发生在什么时候？\n\n{T}", "{T}\n\n这段话讲的是哪个地方？"],
    "ja": ["{T}\n\n本文によると、最も重要な人物は誰ですか？", "この文章によれば、それはいつ起きましたか？\n\n{T}"],
    "ko": ["{T}\n\n이 글에 따르면 가장 중요한 인물은 누구인가요?", "이 글에 따르면 그 일은 언제 일어났나요?\n\n{T}"],
}  # fmt: skip

ASK_FACT = {
    "en": ["What is the capital of {P}?", "Who was the first president of {P}?", "What currency does {P} use?",
           "How many people live in {P}?", "What language do they speak in {P}?", "when did {P} become independent",
           "What is the highest mountain in {P}?", "Which continent is {P} on?"],
    "de": ["Was ist die Hauptstadt von {P}?", "Welche Währung hat {P}?", "Wie viele Einwohner hat {P}?",
           "Welche Sprache spricht man in {P}?"],
    "fr": ["Quelle est la capitale de {P} ?", "Quelle monnaie utilise-t-on en {P} ?", "Combien d'habitants compte {P} ?"],
    "es": ["¿Cuál es la capital de {P}?", "¿Qué moneda se usa en {P}?", "¿Cuántos habitantes tiene {P}?"],
    "pt": ["Qual é a capital de {P}?", "Que moeda se usa em {P}?", "Quantos habitantes tem {P}?"],
    "it": ["Qual è la capitale di {P}?", "Che moneta si usa in {P}?", "Quanti abitanti ha {P}?"],
    "ru": ["Какая столица у страны {P}?", "Какая валюта в стране {P}?", "Сколько людей живёт в стране {P}?"],
    "zh": ["{P}的首都是哪里？", "{P}使用什么货币？", "{P}有多少人口？", "{P}的官方语言是什么？"],
    "ja": ["{P}の首都はどこですか？", "{P}の通貨は何ですか？", "{P}の人口はどれくらいですか？"],
    "ko": ["{P}의 수도는 어디인가요?", "{P}는 어떤 통화를 쓰나요?", "{P}의 인구는 얼마인가요?"],
}  # fmt: skip

# Role-play: the model is asked to be someone and answer in character (creative_writing).
ROLES = {
    "en": ["a tour guide in ancient Rome", "a ship's cook in 1850", "a detective in 1920s Chicago",
           "a medieval blacksmith", "Sherlock Holmes", "a barista on their first day", "an alien visiting Earth",
           "a park ranger", "a Victorian butler", "a sports commentator", "a grumpy wizard", "a museum curator"],
    "de": ["ein Stadtführer im alten Rom", "ein mittelalterlicher Schmied", "ein Detektiv im Berlin der 1920er"],
    "fr": ["un guide touristique dans la Rome antique", "un forgeron médiéval", "un détective à Paris en 1920"],
    "es": ["un guía turístico en la antigua Roma", "un herrero medieval", "un detective en Madrid en 1920"],
    "pt": ["um guia turístico na Roma antiga", "um ferreiro medieval"],
    "it": ["una guida turistica nell'antica Roma", "un fabbro medievale"],
    "ru": ["экскурсовод в Древнем Риме", "средневековый кузнец", "сыщик в Петербурге 1900 года"],
    "zh": ["古罗马的导游", "中世纪的铁匠", "民国时期的侦探"],
    "ja": ["古代ローマのガイド", "中世の鍛冶屋", "昭和の探偵"],
    "ko": ["고대 로마의 여행 가이드", "중세 대장장이", "1920년대 탐정"],
}  # fmt: skip

ROLE_PLAY = {
    "en": ["Imagine you are {R}. Describe a typical day in your life.",
           "You are {R}. A visitor asks you about {X}. How do you respond?",
           "Pretend to be {R} and give me your honest opinion of {X}.",
           "Act as {R}. Stay in character and greet a new customer.",
           "Role-play as {R} explaining {X} to a curious child.",
           "Take on the role of {R}: what would you say to someone who doubts you?"],
    "de": ["Stell dir vor, du bist {R}. Beschreibe deinen Alltag.", "Du bist {R}. Ein Besucher fragt dich nach {X}. Was antwortest du?"],
    "fr": ["Imagine que tu es {R}. Décris ta journée.", "Tu es {R}. Un visiteur t'interroge sur {X}. Que réponds-tu ?"],
    "es": ["Imagina que eres {R}. Describe tu día.", "Eres {R}. Un visitante te pregunta por {X}. ¿Qué respondes?"],
    "pt": ["Imagine que você é {R}. Descreva o seu dia."],
    "it": ["Immagina di essere {R}. Descrivi la tua giornata."],
    "ru": ["Представь, что ты {R}. Опиши свой обычный день.", "Ты {R}. Посетитель спрашивает тебя о теме «{X}». Что ты ответишь?"],
    "zh": ["假设你是{R}，描述你的一天。", "你是{R}，一位游客问你关于{X}的事，你会怎么回答？"],
    "ja": ["あなたは{R}だと想像して、一日の様子を語ってください。"],
    "ko": ["당신이 {R}라고 상상하고 하루를 묘사해 주세요."],
}  # fmt: skip

# Classifying given text, asked as a question (data_extraction, not simple_qa): the answer
# is a label for the pasted text, not a fact about the world.
CLASSIFY_ASK = {
    "en": ["{T}\n\nIs the tone of this text positive, negative or neutral?",
           "Which category fits this text best: politics, sports, science, business or culture?\n\n{T}",
           "Does the following read like spam or a legitimate message?\n{T}",
           "{T}\n\nWhat is the topic of this paragraph? Pick one: history, geography, science, arts, other.",
           "Label each sentence below as FACT or OPINION.\n\n{T}",
           "Is this passage about a person, a place, an organisation or an event?\n{T}"],
    "de": ["{T}\n\nIst der Ton dieses Textes positiv, negativ oder neutral?",
           "Welche Kategorie passt am besten: Politik, Sport, Wissenschaft, Wirtschaft oder Kultur?\n\n{T}"],
    "fr": ["{T}\n\nLe ton de ce texte est-il positif, négatif ou neutre ?",
           "Quelle catégorie convient le mieux : politique, sport, science, économie ou culture ?\n\n{T}"],
    "es": ["{T}\n\n¿El tono de este texto es positivo, negativo o neutral?",
           "¿Qué categoría describe mejor este texto: política, deporte, ciencia, economía o cultura?\n\n{T}"],
    "pt": ["{T}\n\nO tom deste texto é positivo, negativo ou neutro?"],
    "it": ["{T}\n\nIl tono di questo testo è positivo, negativo o neutro?"],
    "ru": ["{T}\n\nКакой тон у этого текста: положительный, отрицательный или нейтральный?",
           "К какой категории относится текст: политика, спорт, наука, экономика или культура?\n\n{T}"],
    "zh": ["{T}\n\n这段文字的情感是正面、负面还是中性？", "这段文字属于哪一类：政治、体育、科学、经济还是文化？\n\n{T}"],
    "ja": ["{T}\n\nこの文章の論調はポジティブ、ネガティブ、中立のどれですか？"],
    "ko": ["{T}\n\n이 글의 논조는 긍정, 부정, 중립 중 무엇인가요?"],
}  # fmt: skip

PLACES = {
    "en": ["France", "Kenya", "Peru", "Vietnam", "Norway", "Egypt", "Chile", "Nepal", "Canada", "Greece"],
    "de": ["Frankreich", "Kenia", "Peru", "Vietnam", "Norwegen", "Ägypten", "Chile"],
    "fr": ["France", "Kenya", "Pérou", "Vietnam", "Norvège", "Égypte", "Chili"],
    "es": ["Francia", "Kenia", "Perú", "Vietnam", "Noruega", "Egipto", "Chile"],
    "pt": ["França", "Quênia", "Peru", "Vietnã", "Noruega", "Egito", "Chile"],
    "it": ["Francia", "Kenya", "Perù", "Vietnam", "Norvegia", "Egitto", "Cile"],
    "ru": ["Франция", "Кения", "Перу", "Вьетнам", "Норвегия", "Египет", "Чили"],
    "zh": ["法国", "肯尼亚", "秘鲁", "越南", "挪威", "埃及", "智利"],
    "ja": ["フランス", "ケニア", "ペルー", "ベトナム", "ノルウェー", "エジプト", "チリ"],
    "ko": ["프랑스", "케냐", "페루", "베트남", "노르웨이", "이집트", "칠레"],
}  # fmt: skip

TOPICS = [
    "remote work", "learning the guitar", "a trip to Japan", "urban gardening", "saving for retirement",
    "running a first marathon", "a small bakery", "public speaking", "electric cars", "adopting a dog",
    "moving to a new city", "a startup that sells refurbished laptops", "climate change", "chess",
    "photography", "the ocean", "friendship", "a lost key", "autumn", "a robot learning to paint",
    "time travel", "a family reunion", "job interviews", "home workouts", "meditation", "board games",
    "a rainy Monday", "the first day of school", "a new coffee shop", "volunteering", "cybersecurity awareness",
    "a company hackathon", "minimalism", "the history of tea", "space exploration", "a village festival",
    "learning Spanish as an adult", "starting a podcast", "hiking in the Alps", "a vegetarian diet",
    "buying a first home", "raising teenagers", "indoor plants", "a career change into nursing",
    "sleep hygiene", "a birthday party for a ten-year-old", "open-source communities", "beekeeping",
    "negotiating a salary", "an office move", "wine tasting", "cycling to work", "a book club",
    "studying for final exams", "renovating a kitchen", "a team offsite", "writing a novel",
    "personal budgeting", "learning to swim", "a road trip across Canada", "composting",
    "managing stress at work", "a long-distance relationship", "caring for an elderly parent",
]  # fmt: skip

CODE_TASKS = [
    "Complete this function.\n\n{C}", "{C}", "Implement the body of this function:\n{C}",
    "What does this code do?\n\n{C}", "Explain this function line by line.\n{C}",
    "Find the bug in this code:\n\n{C}", "Write pytest unit tests for this function.\n\n{C}",
    "Refactor this to be more readable.\n{C}", "Add type hints and a docstring:\n{C}",
    "Port this to JavaScript.\n\n{C}", "Rewrite this in Go.\n{C}", "Make this faster.\n\n{C}",
    "Can you review this code?\n{C}", "Why does this raise an exception on empty input?\n\n{C}",
    "Convert this function to async.\n{C}", "Add logging and error handling:\n\n{C}",
    # the paste first, a short question after it (how people often ask in chat)
    "{C}\n\nthoughts?", "{C}\nis this correct?", "{C}\n\nwhat's wrong with it?",
    "{C}\n\nany way to simplify this?", "{C}\nhow can I make this faster?", "{C}\n\nwhy is this slow?",
    "{C}\nDoes this handle None?", "{C}\n\nexplain please",
]  # fmt: skip

FOLLOW_UPS = {
    "code_generation": ["can you make it parallel?", "make it faster", "add tests", "now in Rust",
                        "use async instead", "handle the empty case too", "it still fails", "why?",
                        "add comments", "ok continue", "shorter please", "what about thread safety?"],
    "creative_writing": ["make it funnier", "shorter", "another one", "more dramatic please",
                         "now make it rhyme", "continue the story", "change the ending"],
    "summarization": ["even shorter", "as bullets", "one sentence", "more detail on the second point"],
    "translation": ["now into Spanish", "more formal", "and in German?", "less literal please"],
    "complex_reasoning": ["explain step 2", "are you sure?", "show your work", "check it again",
                          "what if the numbers were doubled?"],
    "data_extraction": ["also include the dates", "as CSV instead", "add a confidence column",
                        "only the organisations"],
    "simple_qa": ["and who came second?", "when was that?", "source?", "really?"],
    "general": ["more ideas", "any other tips?", "ok thanks, what else?", "go on"],
}  # fmt: skip
GENERIC_FOLLOW_UPS = ["yes", "ok", "ok continue", "go ahead", "thanks!", "do it", "again", "more"]


def stdlib_functions(rng: random.Random, limit: int) -> list[str]:
    """Signatures with docstrings (and a few whole bodies) from CPython's Lib (PSF licence)."""
    lib = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in lib.glob("*.py") if not p.name.startswith("_"))
    out: list[str] = []
    for path in files:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError):
            continue
        src = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
                continue
            doc = ast.get_docstring(node)
            if not doc or len(doc) < 40 or node.end_lineno is None:
                continue
            body_start = node.body[1].lineno if len(node.body) > 1 else node.end_lineno + 1
            whole = rng.random() < 0.35
            lines = src[node.lineno - 1 : (node.end_lineno if whole else body_start - 1)]
            text = "\n".join(lines)
            if 60 < len(text) < 2_500:
                out.append(text)
    rng.shuffle(out)
    return out[:limit]


def _pick(rng: random.Random, table: dict[str, list[str]], lang: str) -> str:
    return rng.choice(table.get(lang) or table["en"])


def template_rows(rng: random.Random, paras: dict[str, list[tuple[str, list[str]]]],
                  n_per_task: int) -> Iterator[dict[str, Any]]:  # fmt: skip
    """Rows of the templates source. `paras`: xquad's aligned paragraphs by language."""
    instr_langs = list(TRANSLATE)
    weights = [6 if lang == "en" else 1 for lang in instr_langs]
    text_langs = list(paras)

    def passage(lang: str | None = None, long: bool = False) -> tuple[str, str]:
        lang = lang or rng.choice(text_langs)
        items = paras[lang]
        i = rng.randrange(len(items))
        text = items[i][0]
        if long:
            text += "\n\n" + "\n\n".join(items[(i + k) % len(items)][0] for k in (1, 2))
        elif rng.random() < 0.3:  # a sentence or two, as people often translate
            text = ". ".join(text.split(". ")[: rng.randint(1, 2)])
        return lang, text

    def row(task: str, lang: str, prompt: str, p: float) -> dict[str, Any]:
        return {"source": "routerdesk-templates", "dataset": f"templates-{task}", "task": task,
                "lang": lang, "prompt": prompt, "difficulty": p, "difficulty_kind": "task prior",
                "licence": "MIT (instructions) + CC-BY-SA-4.0 (xquad passages) / PSF (CPython code)",
                "repo": "routerdesk", "commit": None}  # fmt: skip

    for _ in range(n_per_task):
        il = rng.choices(instr_langs, weights)[0]
        names = LANG_NAMES[il]
        src_lang, text = passage()
        targets = [t for t in names if t != src_lang] or ["en"]
        tgt = rng.choice(targets)
        src_name = LANG_NAMES["en"].get(src_lang, "English")
        prompt = _pick(rng, TRANSLATE, il).format(L=names[tgt], S=src_name, T=text)
        yield row("translation", il, prompt, 0.15)

        il = rng.choices(instr_langs, weights)[0]
        _, text = passage(long=rng.random() < 0.6)
        yield row("summarization", il, _pick(rng, SUMMARIZE, il).format(T=text), 0.2)

        il = rng.choices(instr_langs, weights)[0]
        _, text = passage()
        yield row("data_extraction", il, _pick(rng, EXTRACT, il).format(T=text), 0.15)

        il = rng.choices(instr_langs, weights)[0]
        form = rng.choice(WRITE_FORMS.get(il) or WRITE_FORMS["en"])
        topic = rng.choice(TOPICS)
        yield row("creative_writing", il, _pick(rng, WRITE, il).format(F=form, X=topic), 0.2)

        il = rng.choices(instr_langs, weights)[0]
        if rng.random() < 0.5:  # one row in two: role-play, or classifying a passage
            role = rng.choice(ROLES.get(il) or ROLES["en"])
            prompt = _pick(rng, ROLE_PLAY, il).format(R=role, X=rng.choice(TOPICS))
            yield row("creative_writing", il, prompt, 0.2)
        else:
            _, text = passage(il if il in paras else None)
            yield row("data_extraction", il, _pick(rng, CLASSIFY_ASK, il).format(T=text), 0.15)

        il = rng.choices(instr_langs, weights)[0]
        yield row("general", il, _pick(rng, GENERAL, il).format(X=rng.choice(TOPICS)), 0.2)

        # questions: three in four about a passage (in its own language where xquad has it)
        il = rng.choices(instr_langs, weights)[0]
        if rng.random() < 0.75:
            _, text = passage(il if il in paras else None)
            yield row("simple_qa", il, _pick(rng, ASK_PASSAGE, il).format(T=text), 0.15)
        else:
            place = rng.choice(PLACES.get(il) or PLACES["en"])
            yield row("simple_qa", il, _pick(rng, ASK_FACT, il).format(P=place), 0.1)


def code_rows(rng: random.Random, n: int) -> Iterator[dict[str, Any]]:
    for fn in stdlib_functions(rng, n):
        prompt = rng.choice(CODE_TASKS).format(
            C=fn if rng.random() < 0.5 else f"```python\n{fn}\n```"
        )
        yield {"source": "routerdesk-templates", "dataset": "templates-code", "task": "code_generation",
               "lang": "en", "prompt": prompt, "difficulty": 0.35, "difficulty_kind": "task prior",
               "licence": "MIT (instructions) + PSF (CPython code)", "repo": "routerdesk",
               "commit": None}  # fmt: skip


# --- structure: system-prompt instructions, tracebacks, diffs, JSON mode, images -----------
# Real traffic often carries the task outside the user's words: an app's system prompt
# ("Translate the user's text into English"), a pasted traceback, a diff, a JSON schema,
# an extraction tool the client forces, a photo. Rows below teach those signals.

SYSTEM_TASKS = {
    "translation": ["You are a translator. Translate the user's text into {L}.",
                    "Translate everything the user writes into {L}. Reply with the translation only.",
                    "Du bist ein Übersetzer. Übersetze den Text des Nutzers ins Englische."],
    "summarization": ["You summarize documents. Reply with a three-sentence summary of whatever the user sends.",
                      "Condense the user's message into bullet points for an executive."],
    "data_extraction": ["Extract all named entities from the user's message and reply with JSON.",
                        "You are an information extraction engine. Return the people, dates and amounts in the text as JSON."],
    "creative_writing": ["You are a poet. Turn whatever the user says into a short poem.",
                         "You write catchy marketing copy from the product notes the user gives you."],
    "simple_qa": ["Answer the user's question in one short sentence.",
                  "You are a trivia bot: give the fact the user asks for, nothing more."],
    "code_generation": ["You are a senior code reviewer. Review the code the user sends and point out bugs.",
                        "Convert the user's Python code into idiomatic TypeScript."],
}  # fmt: skip

TRACE_ASKS = ["Why does this happen?", "How do I fix this?", "getting this error", "", "what's wrong here",
              "Help! My script crashes:", "any idea?", "This started after I upgraded:"]  # fmt: skip
DIFF_ASKS = ["Review this diff.", "Does this patch look right?", "", "Write a commit message for this:",
             "Any bugs in this change?", "Explain what this change does."]  # fmt: skip
_FAILING = [
    "d = {}\nd['missing']", "1 / 0", "[][3]", "int('abc')", "None.split()", "len(5)",
    "import json\njson.loads('{bad')", "open('/nonexistent/file.txt')", "'a' + 1",
    "import math\nmath.sqrt(-1)", "x = [1, 2]\nx.push(3)", "def f(a):\n    return f(a)\nf(1)",
]  # fmt: skip
_JS_TRACES = [
    "TypeError: Cannot read properties of undefined (reading 'map')\n    at App (App.js:12:15)\n    at renderWithHooks (react-dom.development.js:14985:18)",
    "Error: listen EADDRINUSE: address already in use :::3000\n    at Server.setupListenHandle [as _listen2] (node:net:1817:16)\n    at listenInCluster (node:net:1865:12)",
    "thread 'main' panicked at 'index out of bounds: the len is 3 but the index is 5', src/main.rs:4:5\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace",
    "Exception in thread \"main\" java.lang.NullPointerException\n\tat com.example.App.run(App.java:27)\n\tat com.example.App.main(App.java:12)",
]  # fmt: skip


def _python_traces() -> list[str]:
    import traceback

    out = []
    for src in _FAILING:
        try:
            exec(compile(src, "app.py", "exec"), {})
        except BaseException:
            out.append(traceback.format_exc(limit=4))
    return out


def structure_rows(rng: random.Random, paras: dict[str, list[tuple[str, list[str]]]],
                   functions: list[str], n: int) -> Iterator[dict[str, Any]]:  # fmt: skip
    base = {"source": "routerdesk-templates", "difficulty_kind": "task prior", "repo": "routerdesk",
            "commit": None, "licence": "MIT (instructions) + CC-BY-SA-4.0 (xquad) / PSF (CPython)"}  # fmt: skip
    traces = _python_traces() + _JS_TRACES
    langs = list(paras)
    prior = {"translation": 0.15, "summarization": 0.2, "data_extraction": 0.15,
             "creative_writing": 0.2, "simple_qa": 0.1, "code_generation": 0.35}  # fmt: skip
    import difflib

    for i in range(n):
        task = list(SYSTEM_TASKS)[i % len(SYSTEM_TASKS)]
        lang = rng.choice(langs)
        context, questions = rng.choice(paras[lang])
        user = {"simple_qa": rng.choice(questions), "code_generation": rng.choice(functions)}.get(
            task, context
        )
        system = rng.choice(SYSTEM_TASKS[task]).format(
            L=rng.choice(["English", "German", "French", "Spanish"])
        )
        yield {**base, "dataset": "templates-system-task", "task": task, "lang": lang,
               "difficulty": prior[task],
               "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}]}  # fmt: skip

        trace = rng.choice(traces)
        ask = rng.choice(TRACE_ASKS)
        code = rng.choice(functions)
        text = (
            f"{ask}\n\n{trace}" if rng.random() < 0.6 else f"{ask}\n```python\n{code}\n```\n{trace}"
        )
        yield {**base, "dataset": "templates-trace", "task": "code_generation", "lang": "en",
               "difficulty": 0.35, "messages": [{"role": "user", "content": text.strip()}]}  # fmt: skip

        old = code.splitlines()
        new = [
            line.replace("self", "this").replace("return", "return  # changed\n    return")
            for line in old
        ]
        diff = "\n".join(
            difflib.unified_diff(old, new, "a/lib/module.py", "b/lib/module.py", lineterm="")
        )
        if diff:
            text = f"{rng.choice(DIFF_ASKS)}\n\ndiff --git a/lib/module.py b/lib/module.py\n{diff}"
            yield {**base, "dataset": "templates-diff", "task": "code_generation", "lang": "en",
                   "difficulty": 0.4, "messages": [{"role": "user", "content": text.strip()}]}  # fmt: skip

        sentence = ". ".join(rng.choice(paras[lang])[0].split(". ")[:2])
        row: dict[str, Any] = {**base, "dataset": "templates-json-mode", "task": "data_extraction",
                               "lang": lang, "difficulty": 0.15,
                               "messages": [{"role": "user", "content": sentence}]}  # fmt: skip
        kind = rng.randrange(3)
        if kind == 0:
            row["response_format"] = {"type": "json_object"}
        elif kind == 1:
            row["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "entities", "schema": {"type": "object"}},
            }
        else:
            name = rng.choice(
                ["record_entities", "extract_fields", "save_contact", "parse_invoice"]
            )
            row["tools"] = [
                {
                    "type": "function",
                    "function": {"name": name, "parameters": {"type": "object", "properties": {}}},
                }
            ]
            row["tool_choice"] = {"type": "function", "function": {"name": name}}
        yield row

        if i % 3 == 0:  # an agent told to go on: the session's work is code
            import json as _json

            agent = {
                "role": "system",
                "content": "You are an AI coding agent in the user's IDE. Use the tools to read, edit and test code.",
            }
            nudge = rng.choice(["ok, go ahead", "continue", "yes", "do it", "looks good, commit it",
                                "run the tests again", "try again", "ok", "next step", "proceed"])  # fmt: skip
            call = {
                "id": f"t{i}",
                "type": "function",
                "function": {
                    "name": "run_terminal_cmd",
                    "arguments": _json.dumps({"cmd": "pytest -q"}),
                },
            }
            msgs = [agent, {"role": "user", "content": "Fix the failing tests."},
                    {"role": "assistant", "content": None, "tool_calls": [call]},
                    {"role": "tool", "tool_call_id": f"t{i}", "content": "2 failed, 40 passed"},
                    {"role": "assistant", "content": "The two failures come from the date parser. Shall I fix it?"},
                    {"role": "user", "content": nudge}]  # fmt: skip
            tools = [{"type": "function", "function": {"name": n, "parameters": {"type": "object", "properties": {}}}}
                     for n in ("read_file", "edit_file", "run_terminal_cmd", "grep_search")]  # fmt: skip
            yield {**base, "dataset": "templates-agent-nudge", "task": "code_generation", "lang": "en",
                   "difficulty": 0.4, "messages": msgs, "tools": tools}  # fmt: skip

        if i % 4 == 0:
            ask, task = rng.choice([
                ("Extract the merchant, date and total from this receipt.", "data_extraction"),
                ("Transcribe the table in this screenshot as CSV.", "data_extraction"),
                ("What landmark is this?", "simple_qa"), ("Translate the sign in this photo into English.", "translation"),
                ("Write a short poem inspired by this picture.", "creative_writing"),
                ("Why does my app show this error?", "code_generation"), ("What do you think of this outfit?", "general"),
                ("Solve the geometry problem in the image step by step.", "complex_reasoning"),
            ])  # fmt: skip
            content = [{"type": "text", "text": ask},
                       {"type": "image_url", "image_url": {"url": f"https://example.com/img{i}.jpg"}}]  # fmt: skip
            yield {**base, "dataset": "templates-image", "task": task, "lang": "en", "difficulty": 0.3,
                   "messages": [{"role": "user", "content": content}]}  # fmt: skip
