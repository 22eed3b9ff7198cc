import { defineCatalog } from '../catalog.ts';

/** The upload pages' notice of uploads a reload or a closed tab left unfinished. */
export const unfinished = defineCatalog(
  {
    heading: 'Unfinished uploads',
    intro: 'These uploads stopped before the end. Choose the same file again to continue where it stopped: only what is missing is sent.',
    line: '{{filename}}: {{stored}} of {{total}} stored, kept until {{date}}.',
    choose: 'Choose the file',
    discard: 'Discard',
    continuing: 'This file continues the upload: send the form.',
    discarded: 'The upload of {{filename}} was discarded.',
    failed: 'The upload of {{filename}} could not be discarded. Try again.',
  },
  {
    heading: 'Envois inachevés',
    intro: 'Ces envois se sont arrêtés avant la fin. Choisissez à nouveau le même fichier pour reprendre là où ils se sont arrêtés : seul ce qui manque est envoyé.',
    line: '{{filename}} : {{stored}} sur {{total}} déjà stockés, conservés jusqu’au {{date}}.',
    choose: 'Choisir le fichier',
    discard: 'Abandonner',
    continuing: 'Ce fichier reprend l’envoi : envoyez le formulaire.',
    discarded: 'L’envoi de {{filename}} a été abandonné.',
    failed: 'L’envoi de {{filename}} n’a pas pu être abandonné. Réessayez.',
  },
);
